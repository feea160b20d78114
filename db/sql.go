package db

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// limitClause returns " LIMIT n OFFSET m" for a positive limit, or "" for none.
func limitClause(offset, limit int) string {
	if limit <= 0 {
		if offset > 0 {
			return fmt.Sprintf(" LIMIT %d OFFSET %d", int64(1)<<62, offset)
		}
		return ""
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0))
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query and reads every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translateError(err)
		}
		list = append(list, v)
	}
	return list, translateError(rows.Err())
}

// clip shortens s to at most n characters, ending with "…" when it cut,
// keeping UTF-8 valid.
func clip(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
