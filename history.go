package freezer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// History actions: what a change did to a product.
const (
	ActionCreate  = "create"   // a product was put in (or imported)
	ActionUpdate  = "update"   // its fields changed, not its place
	ActionTakeOut = "take_out" // it was taken out
	ActionPutBack = "put_back" // a taken-out product went back in
	ActionMove    = "move"     // it moved to another slot, box or freezer
	ActionDelete  = "delete"   // its record was deleted
	ActionScan    = "scan"     // a scanner changed it; the summary names the operation
)

// HistoryEvent is one entry of a household's change log. It outlives the
// product it is about: ProductID may name a deleted product.
type HistoryEvent struct {
	ID          int64     `json:"id"`
	HouseholdID int64     `json:"household_id"`
	ProductID   *int64    `json:"product_id"`
	Actor       string    `json:"actor"`   // "user:3", "device:scanner-x" or "system"
	Action      string    `json:"action"`  // one of the Action constants
	Summary     string    `json:"summary"` // short text, e.g. "took out Soupe from F2 B3 S7"
	CreatedAt   time.Time `json:"created_at"`
}

// EventFilter selects history events among those of the actor's households.
type EventFilter struct {
	HouseholdID *int64
	ProductID   *int64
	// BeforeID keeps events with a smaller id: the cursor of a newest-first list.
	BeforeID int64
	Limit    int // 0 means no limit
}

// EventService reads the change log.
type EventService interface {
	// FindEvents returns the events of the actor's households matching
	// filter, newest first (ENOTFOUND for a household the actor does not
	// see, EUNAUTHORIZED without an actor).
	FindEvents(ctx context.Context, filter EventFilter) ([]*HistoryEvent, error)
}

// HistoryActor names an actor as the change log does: "user:3",
// "device:scanner-x", "system", or "" for nobody.
func HistoryActor(a Actor) string {
	switch a.Kind {
	case ActorUser:
		return fmt.Sprintf("user:%d", a.UserID)
	case ActorDevice:
		return "device:" + a.DeviceID
	case ActorSystem:
		return "system"
	}
	return ""
}

// DescribeChange classifies the change of a product from before to after
// (take out, put back, move or plain update) and summarises it in a line.
func DescribeChange(before, after *Product) (action, summary string) {
	action, summary = DescribeMove(after.Name, PlaceOf(before), PlaceOf(after))
	changed := changedFields(before, after)
	if action == ActionUpdate {
		if !before.DateOut.IsZero() && before.DateOut != after.DateOut {
			changed = append(changed, "date_out")
		}
		if len(changed) == 0 {
			return action, fmt.Sprintf("updated %s (nothing changed)", after.Name)
		}
		return action, fmt.Sprintf("updated %s: %s", after.Name, strings.Join(changed, ", "))
	}
	if len(changed) > 0 {
		summary += " (also changed " + strings.Join(changed, ", ") + ")"
	}
	return action, summary
}

// DescribeMove classifies a change of place of the product called name:
// ActionTakeOut, ActionPutBack, ActionMove, or ActionUpdate when neither its
// place nor whether it is inside changed.
func DescribeMove(name string, before, after ProductPlace) (action, summary string) {
	wasIn, isIn := before.DateOut.IsZero(), after.DateOut.IsZero()
	switch {
	case wasIn && !isIn && after.Outcome == OutcomeDiscarded:
		return ActionTakeOut, fmt.Sprintf("threw away %s from %s", name, before.Location())
	case wasIn && !isIn:
		return ActionTakeOut, fmt.Sprintf("took out %s from %s", name, before.Location())
	case !wasIn && isIn:
		return ActionPutBack, fmt.Sprintf("put back %s in %s", name, after.Location())
	case before.Location() != after.Location():
		return ActionMove, fmt.Sprintf("moved %s from %s to %s", name, before.Location(), after.Location())
	}
	return ActionUpdate, fmt.Sprintf("updated %s", name)
}

// changedFields names the fields other than the place and date_out that
// differ between before and after, by their JSON names.
func changedFields(before, after *Product) []string {
	var changed []string
	add := func(field string, differs bool) {
		if differs {
			changed = append(changed, field)
		}
	}
	add("name", before.Name != after.Name)
	add("description", before.Description != after.Description)
	add("type_id", before.TypeID != after.TypeID)
	add("quantity", before.Quantity != after.Quantity)
	add("barcode", before.Barcode != after.Barcode)
	add("date_in", before.DateIn != after.DateIn)
	add("period_months", before.PeriodMonths != after.PeriodMonths)
	add("outcome", !before.Inside() && !after.Inside() && before.Outcome != after.Outcome)
	return slices.Clip(changed)
}
