package freezer

import "context"

// SiteStats are the figures of the whole installation that the admin panel shows.
type SiteStats struct {
	Users           int     `json:"users"`
	Admins          int     `json:"admins"`
	DisabledUsers   int     `json:"disabled_users"`
	Households      int     `json:"households"`
	Freezers        int     `json:"freezers"`
	ProductsInside  int     `json:"products_inside"`
	ProductsTotal   int     `json:"products_total"`    // inside and taken out
	ProductsPerUser float64 `json:"products_per_user"` // ProductsTotal / Users, rounded to 0.01; 0 without users
	Devices         int     `json:"devices"`
	DevicesOnline   int     `json:"devices_online"`
	ScansToday      int     `json:"scans_today"` // scan events since midnight of the store's time zone
}

// SiteStatsService computes the installation's figures.
type SiteStatsService interface {
	// SiteStats counts users, households, products, devices and today's
	// scans over every household (EFORBIDDEN unless the actor is an admin
	// or the system, EUNAUTHORIZED without an actor).
	SiteStats(ctx context.Context) (*SiteStats, error)
}
