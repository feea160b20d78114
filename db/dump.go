package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Dump returns every row of every table (those of the migration tool
// left out) as text, rows sorted, in a form that does not depend on the
// dialect: "column=value" pairs in column-name order joined by " | ",
// times in UTC to the microsecond, dates as YYYY-MM-DD. Two databases hold
// the same rows when their dumps are equal; it serves to check a copy.
func Dump(ctx context.Context, d *DB) (map[string][]string, error) {
	snap, err := d.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer snap.end()
	tables, err := listTables(ctx, snap, d.dialect)
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	dump := make(map[string][]string, len(tables))
	for name, t := range tables {
		names := make([]string, len(t.columns))
		cols := make([]string, len(t.columns))
		for i, c := range t.columns {
			names[i] = c.name
		}
		slices.Sort(names) // the same order on both dialects
		for i, c := range names {
			cols[i] = quoteName(d.dialect, c)
		}
		rows, err := snap.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quoteName(d.dialect, name))
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", name, err)
		}
		values := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		list := []string{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("dump %s: %w", name, err)
			}
			var b strings.Builder
			for i, v := range values {
				if i > 0 {
					b.WriteString(" | ")
				}
				b.WriteString(names[i] + "=")
				switch x := v.(type) {
				case nil:
					b.WriteString("NULL")
				case []byte:
					b.Write(x)
				case time.Time:
					x = x.UTC().Truncate(time.Microsecond)
					if x.Equal(x.Truncate(24 * time.Hour)) {
						b.WriteString(x.Format(time.DateOnly))
					} else {
						b.WriteString(x.Format(time.RFC3339Nano))
					}
				default:
					fmt.Fprint(&b, x)
				}
			}
			list = append(list, b.String())
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("dump %s: %w", name, err)
		}
		slices.Sort(list)
		dump[name] = list
	}
	return dump, nil
}
