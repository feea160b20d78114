package api

import (
	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// Store is a storage that implements every service, as db.DB does.
type Store interface {
	httpapi.Pinger
	freezer.UserService
	freezer.TokenService
	freezer.HouseholdService
	freezer.FreezerService
	freezer.ProductService
	freezer.ProductTypeService
	freezer.StatsService
	freezer.DeviceService
	freezer.AlertSettingsService
	freezer.SessionService
	freezer.SiteStatsService
	freezer.EventService
	freezer.ExportService
	freezer.PrinterService
	freezer.LabelService
}

// NewServices uses one store for every service that a store provides; the
// caller adds the others (label printing, alert runs, scans, the broker).
func NewServices(store Store) Services {
	return Services{Database: store, Users: store, Tokens: store, Households: store, Freezers: store,
		Products: store, Types: store, Stats: store, Devices: store, AlertSettings: store, Sessions: store, SiteStats: store,
		Events: store, Exports: store,
		Printers: store, Labels: store}
}
