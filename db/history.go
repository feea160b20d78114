package db

import (
	"context"
	"database/sql"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.EventService = (*DB)(nil)

const historyColumns = "id, household_id, product_id, actor, action, summary, created_at"

// FindEvents returns the change log of the actor's households, newest first.
func (db *DB) FindEvents(ctx context.Context, filter freezer.EventFilter) ([]*freezer.HistoryEvent, error) {
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	where := []string{cond}
	if filter.HouseholdID != nil {
		if err := canSeeHousehold(ctx, db.read, *filter.HouseholdID); err != nil {
			return nil, err
		}
		where, args = append(where, "household_id = ?"), append(args, *filter.HouseholdID)
	}
	if filter.ProductID != nil {
		where, args = append(where, "product_id = ?"), append(args, *filter.ProductID)
	}
	if filter.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, filter.BeforeID)
	}
	return queryAll(ctx, db.read, scanHistoryEvent, "SELECT "+historyColumns+" FROM history WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id DESC"+limitClause(0, filter.Limit), args...)
}

func scanHistoryEvent(row rowScanner) (*freezer.HistoryEvent, error) {
	var e freezer.HistoryEvent
	var productID sql.NullInt64
	if err := row.Scan(&e.ID, &e.HouseholdID, &productID, &e.Actor, &e.Action, &e.Summary, &e.CreatedAt); err != nil {
		return nil, err
	}
	if productID.Valid {
		e.ProductID = &productID.Int64
	}
	return &e, nil
}

// maxSummaryLength bounds a history summary, in characters: two product
// names and two places fit.
const maxSummaryLength = 1000

// recordHistory adds events to the change log inside tx, at the
// transaction's time, with as few statements as it can.
func recordHistory(ctx context.Context, tx *Tx, events ...*freezer.HistoryEvent) error {
	const perStatement = 200 // 6 placeholders each: well below both dialects' limits
	for len(events) > 0 {
		batch := events[:min(len(events), perStatement)]
		events = events[len(batch):]
		args := make([]any, 0, 6*len(batch))
		for _, e := range batch {
			e.CreatedAt = tx.now
			e.Summary = clip(e.Summary, maxSummaryLength)
			args = append(args, e.HouseholdID, e.ProductID, e.Actor, e.Action, e.Summary, e.CreatedAt)
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", len(batch)), ", ")
		if _, err := tx.ExecContext(ctx, `INSERT INTO history (household_id, product_id, actor, action, summary, created_at) VALUES `+values, args...); err != nil {
			return translateError(err)
		}
	}
	return nil
}

// productEvent is a change-log entry about p by the actor of ctx.
func productEvent(ctx context.Context, p *freezer.Product, action, summary string) *freezer.HistoryEvent {
	id := p.ID
	return &freezer.HistoryEvent{HouseholdID: p.HouseholdID, ProductID: &id, Actor: freezer.HistoryActor(freezer.ActorFromContext(ctx)),
		Action: action, Summary: summary}
}
