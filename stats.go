package freezer

import "context"

// TypeTendency counts the products of one type: how often it was stored, and
// when one was last taken out.
type TypeTendency struct {
	Type   ProductType `json:"type"`
	Count  int         `json:"count"`
	Latest Date        `json:"latest"` // most recent date_out of the type; zero when none was taken out
}

// StatsService computes consumption statistics.
type StatsService interface {
	// GeneralTendency counts the products ever stored per type, over all
	// households, most frequent first; types never used are left out.
	GeneralTendency(ctx context.Context) ([]*TypeTendency, error)
	// PersonalTendency counts the products ever stored per type in the
	// actor's households, the type taken out most recently first (types
	// never taken out last), then the most frequent.
	PersonalTendency(ctx context.Context) ([]*TypeTendency, error)
}
