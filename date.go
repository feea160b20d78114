package freezer

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// DateLayout is the only date format accepted and produced: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// Date is a calendar day without a time or a zone. The zero Date is "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a YYYY-MM-DD date strictly (two-digit month and day, a
// day that exists in that month). It returns EINVALID otherwise.
func ParseDate(s string) (Date, error) {
	if len(s) != len(DateLayout) {
		return Date{}, Errorf(EINVALID, "Invalid date %q: use YYYY-MM-DD.", s)
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Year() < 1 {
		return Date{}, Errorf(EINVALID, "Invalid date %q: use YYYY-MM-DD.", s)
	}
	return DateOf(t), nil
}

// MustParseDate is ParseDate for constants in tests and examples; it panics on error.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Today returns the calendar day of now in loc (UTC when loc is nil).
func Today(now time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	return DateOf(now.In(loc))
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	b := make([]byte, 0, len(DateLayout))
	b = appendPadded(b, d.Year, 4)
	b = appendPadded(append(b, '-'), int(d.Month), 2)
	b = appendPadded(append(b, '-'), d.Day, 2)
	return string(b)
}

// appendPadded appends n in decimal, with leading zeros up to width digits.
func appendPadded(b []byte, n, width int) []byte {
	for limit := 10; width > 1; width-- {
		if n < limit && n >= 0 {
			b = append(b, '0')
		}
		limit *= 10
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int { return d.Time().Compare(o.Time()) }

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDays returns d moved by n days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// AddMonths returns d moved by n calendar months. A day that does not exist
// in the target month is clamped to its last day: 31 January + 1 month is
// 28 February (29 in a leap year), never 2 or 3 March.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

// DaysUntil returns the number of days from d to o (negative when o is before d).
func (d Date) DaysUntil(o Date) int {
	const secondsPerDay = 24 * 60 * 60
	return int((o.Time().Unix() - d.Time().Unix()) / secondsPerDay)
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(EINVALID, "Invalid date: use \"YYYY-MM-DD\".")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores d as its YYYY-MM-DD text, or NULL for the zero Date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date column as returned by the SQLite and MySQL drivers.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = DateOf(v.UTC())
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	}
	return fmt.Errorf("scan date: unsupported type %T", src)
}

func (d *Date) scanText(s string) error {
	if len(s) > len(DateLayout) {
		s = s[:len(DateLayout)]
	}
	v, err := ParseDate(s)
	if err != nil {
		return fmt.Errorf("scan date %q: %w", s, err)
	}
	*d = v
	return nil
}
