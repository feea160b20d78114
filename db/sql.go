package db

import "fmt"

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
