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

	// The statistics below cover the actor's households, or the one of
	// filter.HouseholdID (ENOTFOUND when the actor does not see it); they
	// return EINVALID for an out-of-range filter and EUNAUTHORIZED without
	// an actor.

	// MonthlyStats returns, for each of the last filter.Months months
	// (oldest first, the current month last), the products put in and taken out.
	MonthlyStats(ctx context.Context, filter StatsFilter) ([]*MonthFlow, error)
	// TimeInFreezer returns the average days between date_in and date_out of
	// the products taken out.
	TimeInFreezer(ctx context.Context, filter StatsFilter) (*TimeInFreezer, error)
	// LateShare returns the share of taken-out products that left after
	// their use-by day (see UseBy).
	LateShare(ctx context.Context, filter StatsFilter) (*LateShare, error)
	// WasteStats counts the waste of the last filter.Months months, per
	// month (oldest first) and per type.
	WasteStats(ctx context.Context, filter StatsFilter) (*Waste, error)
}

// Bounds of the monthly statistics window.
const (
	DefaultStatsMonths = 12
	MaxStatsMonths     = 120
)

// StatsFilter limits statistics to the actor's households, or to one of them.
type StatsFilter struct {
	HouseholdID *int64 // nil: all of the actor's households
	// Months is how many calendar months MonthlyStats covers, the current
	// one included: 0 means DefaultStatsMonths. Other statistics ignore it.
	Months int
}

// TypeFlow counts the products of one type put in and taken out in a month.
type TypeFlow struct {
	Type ProductType `json:"type"`
	In   int         `json:"in"`
	Out  int         `json:"out"`
}

// MonthFlow counts the products put in (by date_in) and taken out (by
// date_out) during one calendar month, in all and per type.
type MonthFlow struct {
	Month string      `json:"month"` // YYYY-MM
	In    int         `json:"in"`
	Out   int         `json:"out"`
	Types []*TypeFlow `json:"types"` // types with a product in or out that month, by type id
}

// Duration is the average number of days taken-out products stayed in a freezer.
type Duration struct {
	Count       int     `json:"count"`        // taken-out products
	AverageDays float64 `json:"average_days"` // from date_in to date_out, rounded to 0.01; 0 when Count is 0
}

// TypeDuration is the Duration of the products of one type.
type TypeDuration struct {
	Type ProductType `json:"type"`
	Duration
}

// TimeInFreezer is how long taken-out products stayed in, overall and per type.
type TimeInFreezer struct {
	Overall Duration        `json:"overall"`
	Types   []*TypeDuration `json:"types"` // most taken out first, then by type id
}

// Lateness counts the taken-out products that left after their use-by day.
type Lateness struct {
	TakenOut int     `json:"taken_out"`
	Late     int     `json:"late"`  // date_out after UseBy(date_in, period)
	Share    float64 `json:"share"` // Late / TakenOut, 0 when nothing was taken out
}

// TypeLateness is the Lateness of the products of one type.
type TypeLateness struct {
	Type ProductType `json:"type"`
	Lateness
}

// LateShare is the share of late products, overall and per type.
type LateShare struct {
	Overall Lateness        `json:"overall"`
	Types   []*TypeLateness `json:"types"` // most taken out first, then by type id
}

// WasteCount counts the products taken out and the waste among them: those
// thrown away (OutcomeDiscarded) and those taken out after their use-by day.
type WasteCount struct {
	TakenOut  int `json:"taken_out"`
	Discarded int `json:"discarded"`
	Late      int `json:"late"`
	// Wasted counts the products thrown away or late (each once); Share
	// is Wasted / TakenOut (0 when nothing was taken out).
	Wasted int     `json:"wasted"`
	Share  float64 `json:"share"`
}

// Add counts one product taken out.
func (w *WasteCount) Add(discarded, late bool) {
	w.TakenOut++
	if discarded {
		w.Discarded++
	}
	if late {
		w.Late++
	}
	if discarded || late {
		w.Wasted++
	}
	w.Share = float64(w.Wasted) / float64(w.TakenOut)
}

// MonthWaste is the WasteCount of the products taken out in one month.
type MonthWaste struct {
	Month string `json:"month"` // YYYY-MM
	WasteCount
}

// TypeWaste is the WasteCount of one type over the whole window.
type TypeWaste struct {
	Type ProductType `json:"type"`
	WasteCount
}

// Waste is the waste of a window of months: overall, per month and per type.
type Waste struct {
	Overall WasteCount    `json:"overall"`
	Months  []*MonthWaste `json:"months"` // every month of the window, oldest first
	Types   []*TypeWaste  `json:"types"`  // most wasted share first, then most taken out, then by type id
}
