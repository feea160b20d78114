package api

import freezer "github.com/freezer-manager/freezer"

// Store is a storage that implements every service, as db.DB does.
type Store interface {
	Pinger
	freezer.UserService
	freezer.TokenService
	freezer.HouseholdService
	freezer.FreezerService
	freezer.ProductService
	freezer.ProductTypeService
	freezer.StatsService
	freezer.DeviceService
	freezer.SessionService
	freezer.SiteStatsService
}

// NewServices uses one store for every service.
func NewServices(store Store) Services {
	return Services{Database: store, Users: store, Tokens: store, Households: store, Freezers: store,
		Products: store, Types: store, Stats: store, Devices: store,
		Sessions: store, SiteStats: store}
}
