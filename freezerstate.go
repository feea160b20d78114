package freezer

import "context"

// InsideGroup counts a household's products inside that share a freezer,
// a day in and a keeping period: a freezer's state (inside, overdue, due
// soon) is computed from these without reading each product.
type InsideGroup struct {
	FreezerID    int64
	DateIn       Date
	PeriodMonths int
	Count        int
}

// Stage returns the stage of the group's products on today.
func (g InsideGroup) Stage(today Date, dueSoonDays int) string {
	p := Product{DateIn: g.DateIn, PeriodMonths: g.PeriodMonths}
	return p.Stage(today, dueSoonDays)
}

// DueWithin reports whether the group's products reach their use-by day
// within days from today, today included, and are not overdue yet.
func (g InsideGroup) DueWithin(today Date, days int) bool {
	return IsDueSoon(g.DateIn, g.PeriodMonths, today, days-1)
}

// InsideCounter counts products inside by group.
type InsideCounter interface {
	// CountInside returns the groups of a household's products inside, in
	// the households the actor may see; EUNAUTHORIZED without an actor.
	CountInside(ctx context.Context, householdID int64) ([]InsideGroup, error)
	// CountDiscarded counts a household's products thrown away since a day
	// (EUNAUTHORIZED without an actor).
	CountDiscarded(ctx context.Context, householdID int64, since Date) (int, error)
}
