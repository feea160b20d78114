package db

import (
	"context"
	"math"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.SiteStatsService = (*DB)(nil)

// SiteStats counts the installation's users, households, products, devices
// and today's scans, for admins.
func (db *DB) SiteStats(ctx context.Context) (*freezer.SiteStats, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	now := db.Now().In(db.Location)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, db.Location).UTC()
	var st freezer.SiteStats
	// One statement of scalar subqueries: every figure comes from the same snapshot.
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM users),
		(SELECT COUNT(*) FROM users WHERE admin = 1),
		(SELECT COUNT(*) FROM users WHERE disabled = 1),
		(SELECT COUNT(*) FROM households),
		(SELECT COUNT(*) FROM freezers),
		(SELECT COUNT(*) FROM products WHERE date_out IS NULL),
		(SELECT COUNT(*) FROM products),
		(SELECT COUNT(*) FROM devices),
		(SELECT COUNT(*) FROM devices WHERE online = 1),
		(SELECT COUNT(*) FROM scan_events WHERE created_at >= ?)`, midnight).
		Scan(&st.Users, &st.Admins, &st.DisabledUsers, &st.Households, &st.Freezers,
			&st.ProductsInside, &st.ProductsTotal, &st.Devices, &st.DevicesOnline, &st.ScansToday)
	if err != nil {
		return nil, translateError(err)
	}
	if st.Users > 0 {
		st.ProductsPerUser = math.Round(float64(st.ProductsTotal)/float64(st.Users)*100) / 100
	}
	return &st, nil
}
