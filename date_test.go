package freezer_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
)

// date is a short alias of freezer.MustParseDate for test tables.
func date(s string) freezer.Date { return freezer.MustParseDate(s) }

func TestParseDate(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		want freezer.Date // zero when an error is expected
		code string       // "" for success
	}{
		{desc: "plain date", in: "2018-01-02", want: freezer.Date{Year: 2018, Month: time.January, Day: 2}},
		{desc: "end of year", in: "2018-12-31", want: freezer.Date{Year: 2018, Month: time.December, Day: 31}},
		{desc: "leap day in leap year", in: "2024-02-29", want: freezer.Date{Year: 2024, Month: time.February, Day: 29}},
		{desc: "leap day in 2000 (divisible by 400)", in: "2000-02-29", want: freezer.Date{Year: 2000, Month: time.February, Day: 29}},
		{desc: "first representable year", in: "0001-01-01", want: freezer.Date{Year: 1, Month: time.January, Day: 1}},
		{desc: "last representable year", in: "9999-12-31", want: freezer.Date{Year: 9999, Month: time.December, Day: 31}},
		{desc: "leap day in common year", in: "2023-02-29", code: freezer.EINVALID},
		{desc: "leap day in 1900 (century, not leap)", in: "1900-02-29", code: freezer.EINVALID},
		{desc: "February 30", in: "2024-02-30", code: freezer.EINVALID},
		{desc: "April 31", in: "2018-04-31", code: freezer.EINVALID},
		{desc: "month 13", in: "2018-13-01", code: freezer.EINVALID},
		{desc: "month 00", in: "2018-00-10", code: freezer.EINVALID},
		{desc: "day 00", in: "2018-01-00", code: freezer.EINVALID},
		{desc: "day 32", in: "2018-01-32", code: freezer.EINVALID},
		{desc: "year 0000", in: "0000-01-01", code: freezer.EINVALID},
		{desc: "one-digit month and day", in: "2018-1-2", code: freezer.EINVALID},
		{desc: "one-digit month padded to length", in: "2018-1-02x", code: freezer.EINVALID},
		{desc: "one-digit day padded at front", in: " 2018-01-2", code: freezer.EINVALID},
		{desc: "empty", in: "", code: freezer.EINVALID},
		{desc: "date and time", in: "2018-01-02T00:00:00", code: freezer.EINVALID},
		{desc: "date and time with zone", in: "2018-01-02T00:00:00Z", code: freezer.EINVALID},
		{desc: "trailing junk", in: "2018-01-02x", code: freezer.EINVALID},
		{desc: "trailing space", in: "2018-01-02 ", code: freezer.EINVALID},
		{desc: "leading space", in: " 2018-01-02", code: freezer.EINVALID},
		{desc: "slashes", in: "2018/01/02", code: freezer.EINVALID},
		{desc: "day first", in: "02-01-2018", code: freezer.EINVALID},
		{desc: "signed year", in: "+018-01-02", code: freezer.EINVALID},
		{desc: "letters", in: "abcd-ef-gh", code: freezer.EINVALID},
		{desc: "invalid UTF-8", in: "2018-01-0\xff", code: freezer.EINVALID},
		{desc: "invalid UTF-8 alone", in: "\xff\xfe\xfd", code: freezer.EINVALID},
		{desc: "non-ASCII digit", in: "2018-01-0\u0662", code: freezer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := freezer.ParseDate(tt.in)
			if got, want := freezer.ErrorCode(err), tt.code; got != want {
				t.Fatalf("ParseDate(%q) error code = %q, want %q (err: %v)", tt.in, got, want, err)
			}
			if got, want := got, tt.want; got != want {
				t.Errorf("ParseDate(%q) = %#v, want %#v", tt.in, got, want)
			}
			if tt.code == "" {
				if got, want := got.String(), tt.in; got != want {
					t.Errorf("ParseDate(%q).String() = %q, want %q", tt.in, got, want)
				}
			} else if got, want := freezer.ErrorMessage(err) != "", true; got != want {
				t.Errorf("ParseDate(%q): message is empty", tt.in)
			}
		})
	}
}

func TestMustParseDate(t *testing.T) {
	tests := []struct {
		desc      string
		in        string
		wantPanic bool
	}{
		{desc: "valid date does not panic", in: "2024-02-29"},
		{desc: "invalid date panics", in: "2023-02-29", wantPanic: true},
		{desc: "empty panics", in: "", wantPanic: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				freezer.MustParseDate(tt.in)
				return false
			}()
			if got, want := panicked, tt.wantPanic; got != want {
				t.Errorf("MustParseDate(%q) panicked = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestDateOfAndToday(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	newYork := time.FixedZone("EST", -5*3600)
	tests := []struct {
		desc string
		got  freezer.Date
		want string
	}{
		{desc: "DateOf UTC midnight", got: freezer.DateOf(time.Date(2018, 1, 2, 0, 0, 0, 0, time.UTC)), want: "2018-01-02"},
		{desc: "DateOf UTC last nanosecond", got: freezer.DateOf(time.Date(2018, 1, 2, 23, 59, 59, 999999999, time.UTC)), want: "2018-01-02"},
		{desc: "DateOf keeps the time's own zone", got: freezer.DateOf(time.Date(2018, 1, 2, 0, 30, 0, 0, paris)), want: "2018-01-02"},
		{desc: "Today nil location is UTC", got: freezer.Today(time.Date(2018, 1, 2, 23, 30, 0, 0, newYork), nil), want: "2018-01-03"},
		{desc: "Today in UTC", got: freezer.Today(time.Date(2018, 1, 2, 23, 30, 0, 0, time.UTC), time.UTC), want: "2018-01-02"},
		{desc: "Today east of UTC is already tomorrow", got: freezer.Today(time.Date(2018, 12, 31, 23, 30, 0, 0, time.UTC), paris), want: "2019-01-01"},
		{desc: "Today west of UTC is still yesterday", got: freezer.Today(time.Date(2018, 3, 1, 2, 0, 0, 0, time.UTC), newYork), want: "2018-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := tt.got.String(), tt.want; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestDateString(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Date
		want string
	}{
		{desc: "zero date is empty", in: freezer.Date{}, want: ""},
		{desc: "padded month and day", in: freezer.Date{Year: 2018, Month: time.March, Day: 4}, want: "2018-03-04"},
		{desc: "padded year", in: freezer.Date{Year: 987, Month: time.December, Day: 25}, want: "0987-12-25"},
		{desc: "one-digit year", in: freezer.Date{Year: 5, Month: time.October, Day: 31}, want: "0005-10-31"},
		{desc: "five-digit year", in: freezer.Date{Year: 12345, Month: time.January, Day: 10}, want: "12345-01-10"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := tt.in.String(), tt.want; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		})
	}
}

func TestDateIsZero(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Date
		want bool
	}{
		{desc: "zero value", in: freezer.Date{}, want: true},
		{desc: "real date", in: date("2018-01-02"), want: false},
		{desc: "only a year", in: freezer.Date{Year: 2018}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := tt.in.IsZero(), tt.want; got != want {
				t.Errorf("IsZero() = %v, want %v", got, want)
			}
		})
	}
}

func TestDateTime(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Date
		want time.Time
	}{
		{desc: "midnight UTC", in: date("2018-01-02"), want: time.Date(2018, 1, 2, 0, 0, 0, 0, time.UTC)},
		{desc: "leap day", in: date("2024-02-29"), want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := tt.in.Time()
			if !got.Equal(tt.want) {
				t.Errorf("Time() = %v, want %v", got, tt.want)
			}
			if got, want := got.Location(), time.UTC; got != want {
				t.Errorf("Time().Location() = %v, want %v", got, want)
			}
		})
	}
}

func TestDateAddMonths(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		n    int
		want string
	}{
		{desc: "zero months", in: "2018-01-31", n: 0, want: "2018-01-31"},
		{desc: "simple month", in: "2018-01-15", n: 1, want: "2018-02-15"},
		{desc: "31 January to February clamps to 28", in: "2018-01-31", n: 1, want: "2018-02-28"},
		{desc: "30 January to February clamps to 28", in: "2018-01-30", n: 1, want: "2018-02-28"},
		{desc: "29 January to February clamps to 28", in: "2018-01-29", n: 1, want: "2018-02-28"},
		{desc: "31 January to February of leap year clamps to 29", in: "2024-01-31", n: 1, want: "2024-02-29"},
		{desc: "leap day plus 12 months clamps to 28", in: "2024-02-29", n: 12, want: "2025-02-28"},
		{desc: "leap day plus 48 months stays 29", in: "2024-02-29", n: 48, want: "2028-02-29"},
		{desc: "leap day minus 12 months clamps to 28", in: "2024-02-29", n: -12, want: "2023-02-28"},
		{desc: "leap day plus 1 month keeps day 29", in: "2024-02-29", n: 1, want: "2024-03-29"},
		{desc: "31 March minus 1 clamps to 28 February", in: "2018-03-31", n: -1, want: "2018-02-28"},
		{desc: "31 March minus 1 in leap year clamps to 29 February", in: "2024-03-31", n: -1, want: "2024-02-29"},
		{desc: "31 August plus 1 clamps to 30 September", in: "2018-08-31", n: 1, want: "2018-09-30"},
		{desc: "31 May plus 1 clamps to 30 June", in: "2018-05-31", n: 1, want: "2018-06-30"},
		{desc: "31 July plus 1 keeps 31 August", in: "2018-07-31", n: 1, want: "2018-08-31"},
		{desc: "31 October plus 1 clamps to 30 November", in: "2018-10-31", n: 1, want: "2018-11-30"},
		{desc: "December to January of next year", in: "2018-12-15", n: 1, want: "2019-01-15"},
		{desc: "31 December plus 2 clamps to 28 February", in: "2018-12-31", n: 2, want: "2019-02-28"},
		{desc: "plus 12 months", in: "2018-06-30", n: 12, want: "2019-06-30"},
		{desc: "plus 24 months", in: "2018-01-31", n: 24, want: "2020-01-31"},
		{desc: "plus 25 months into leap February", in: "2018-01-31", n: 25, want: "2020-02-29"},
		{desc: "negative across a year", in: "2019-01-15", n: -1, want: "2018-12-15"},
		{desc: "negative 13 months across a year", in: "2019-03-31", n: -13, want: "2018-02-28"},
		{desc: "negative 24 months", in: "2020-02-29", n: -24, want: "2018-02-28"},
		{desc: "plus max period (100 years)", in: "2018-01-31", n: freezer.MaxPeriodMonths, want: "2118-01-31"},
		{desc: "plus 36 months from leap day", in: "2024-02-29", n: 36, want: "2027-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := date(tt.in).AddMonths(tt.n).String(), tt.want; got != want {
				t.Errorf("%s.AddMonths(%d) = %s, want %s", tt.in, tt.n, got, want)
			}
		})
	}
}

func TestDateAddDays(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		n    int
		want string
	}{
		{desc: "zero days", in: "2018-01-02", n: 0, want: "2018-01-02"},
		{desc: "one day", in: "2018-01-02", n: 1, want: "2018-01-03"},
		{desc: "end of month", in: "2018-01-31", n: 1, want: "2018-02-01"},
		{desc: "into leap day", in: "2024-02-28", n: 1, want: "2024-02-29"},
		{desc: "over leap day", in: "2024-02-29", n: 1, want: "2024-03-01"},
		{desc: "no leap day in common year", in: "2023-02-28", n: 1, want: "2023-03-01"},
		{desc: "end of year", in: "2018-12-31", n: 1, want: "2019-01-01"},
		{desc: "minus one day", in: "2018-03-01", n: -1, want: "2018-02-28"},
		{desc: "minus one day in leap year", in: "2024-03-01", n: -1, want: "2024-02-29"},
		{desc: "minus 14 across a year", in: "2019-01-05", n: -14, want: "2018-12-22"},
		{desc: "plus a common year", in: "2018-01-01", n: 365, want: "2019-01-01"},
		{desc: "plus 365 in leap year", in: "2024-01-01", n: 365, want: "2024-12-31"},
		{desc: "across a DST change in Europe (no effect in UTC)", in: "2018-03-24", n: 2, want: "2018-03-26"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := date(tt.in).AddDays(tt.n).String(), tt.want; got != want {
				t.Errorf("%s.AddDays(%d) = %s, want %s", tt.in, tt.n, got, want)
			}
		})
	}
}

func TestDateCompare(t *testing.T) {
	tests := []struct {
		desc       string
		a, b       freezer.Date
		want       int
		wantBefore bool
		wantAfter  bool
	}{
		{desc: "equal", a: date("2018-01-02"), b: date("2018-01-02"), want: 0},
		{desc: "one day before", a: date("2018-01-01"), b: date("2018-01-02"), want: -1, wantBefore: true},
		{desc: "one day after", a: date("2018-01-03"), b: date("2018-01-02"), want: 1, wantAfter: true},
		{desc: "earlier month later day", a: date("2018-01-31"), b: date("2018-02-01"), want: -1, wantBefore: true},
		{desc: "earlier year later month", a: date("2017-12-31"), b: date("2018-01-01"), want: -1, wantBefore: true},
		{desc: "later year earlier month", a: date("2019-01-01"), b: date("2018-12-31"), want: 1, wantAfter: true},
		{desc: "zero date is before any date", a: freezer.Date{}, b: date("0001-01-01"), want: -1, wantBefore: true},
		{desc: "zero dates are equal", a: freezer.Date{}, b: freezer.Date{}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := tt.a.Compare(tt.b), tt.want; got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", tt.a, tt.b, got, want)
			}
			if got, want := tt.b.Compare(tt.a), -tt.want; got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", tt.b, tt.a, got, want)
			}
			if got, want := tt.a.Before(tt.b), tt.wantBefore; got != want {
				t.Errorf("%v.Before(%v) = %v, want %v", tt.a, tt.b, got, want)
			}
			if got, want := tt.a.After(tt.b), tt.wantAfter; got != want {
				t.Errorf("%v.After(%v) = %v, want %v", tt.a, tt.b, got, want)
			}
		})
	}
}

func TestDateDaysUntil(t *testing.T) {
	tests := []struct {
		desc     string
		from, to string
		want     int
	}{
		{desc: "same day", from: "2018-01-02", to: "2018-01-02", want: 0},
		{desc: "next day", from: "2018-01-02", to: "2018-01-03", want: 1},
		{desc: "previous day is negative", from: "2018-01-03", to: "2018-01-02", want: -1},
		{desc: "to end of month", from: "2018-01-01", to: "2018-01-31", want: 30},
		{desc: "over common February", from: "2018-02-28", to: "2018-03-01", want: 1},
		{desc: "over leap day", from: "2024-02-28", to: "2024-03-01", want: 2},
		{desc: "backwards over leap day", from: "2024-03-01", to: "2024-02-28", want: -2},
		{desc: "common year", from: "2018-01-01", to: "2019-01-01", want: 365},
		{desc: "leap year", from: "2024-01-01", to: "2025-01-01", want: 366},
		{desc: "from Unix epoch", from: "1970-01-01", to: "2018-01-01", want: 17532},
		{desc: "across a DST change in Europe (no effect in UTC)", from: "2018-03-24", to: "2018-03-26", want: 2},
		{desc: "300 years", from: "1900-01-01", to: "2200-01-01", want: 109573},
		{desc: "whole representable range", from: "0001-01-01", to: "9999-12-31", want: 3652058},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := date(tt.from).DaysUntil(date(tt.to)), tt.want; got != want {
				t.Errorf("%s.DaysUntil(%s) = %d, want %d", tt.from, tt.to, got, want)
			}
		})
	}
}

func TestDateMarshalJSON(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Date
		want string
	}{
		{desc: "zero date is null", in: freezer.Date{}, want: `null`},
		{desc: "date is a quoted string", in: date("2018-01-02"), want: `"2018-01-02"`},
		{desc: "leap day", in: date("2024-02-29"), want: `"2024-02-29"`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatalf("json.Marshal(%#v): %v", tt.in, err)
			}
			if got, want := string(b), tt.want; got != want {
				t.Errorf("json.Marshal(%#v) = %s, want %s", tt.in, got, want)
			}
		})
	}
}

func TestDateMarshalJSONInStruct(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Alert
		want string
	}{
		{desc: "zero field is null", in: freezer.Alert{}, want: `null`},
		{desc: "set field is a string", in: freezer.Alert{UseBy: date("2019-02-28")}, want: `"2019-02-28"`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if got, want := string(m["use_by"]), tt.want; got != want {
				t.Errorf("use_by = %s, want %s", got, want)
			}
		})
	}
}

func TestDateUnmarshalJSON(t *testing.T) {
	tests := []struct {
		desc    string
		start   freezer.Date // value before unmarshalling
		in      string
		want    freezer.Date
		wantErr bool
	}{
		{desc: "null gives zero date", start: date("2018-01-02"), in: `null`, want: freezer.Date{}},
		{desc: "valid date", in: `"2018-01-02"`, want: date("2018-01-02")},
		{desc: "leap day", in: `"2024-02-29"`, want: date("2024-02-29")},
		{desc: "replaces a previous date", start: date("2000-01-01"), in: `"2018-01-02"`, want: date("2018-01-02")},
		{desc: "invalid leap day", in: `"2023-02-29"`, wantErr: true},
		{desc: "date and time", in: `"2018-01-02T00:00:00Z"`, wantErr: true},
		{desc: "empty string", in: `""`, wantErr: true},
		{desc: "number", in: `20180102`, wantErr: true},
		{desc: "boolean", in: `true`, wantErr: true},
		{desc: "object", in: `{"year":2018}`, wantErr: true},
		{desc: "one-digit month", in: `"2018-1-02"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := tt.start
			err := json.Unmarshal([]byte(tt.in), &got)
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("json.Unmarshal(%s) error = %v, want error %v", tt.in, err, want)
			}
			if tt.wantErr {
				if got, want := freezer.ErrorCode(err), freezer.EINVALID; got != want {
					t.Errorf("json.Unmarshal(%s) error code = %q, want %q", tt.in, got, want)
				}
				return
			}
			if got, want := got, tt.want; got != want {
				t.Errorf("json.Unmarshal(%s) = %#v, want %#v", tt.in, got, want)
			}
		})
	}
}

func TestDateUnmarshalJSONInStruct(t *testing.T) {
	tests := []struct {
		desc        string
		in          string
		wantDateIn  freezer.Date
		wantDateOut freezer.Date
		wantErr     bool
	}{
		{desc: "set and null", in: `{"date_in":"2018-01-02","date_out":null}`, wantDateIn: date("2018-01-02")},
		{desc: "both set", in: `{"date_in":"2018-01-02","date_out":"2018-02-03"}`, wantDateIn: date("2018-01-02"), wantDateOut: date("2018-02-03")},
		{desc: "missing fields stay zero", in: `{}`},
		{desc: "invalid date fails", in: `{"date_in":"2018-02-30"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var p freezer.Product
			err := json.Unmarshal([]byte(tt.in), &p)
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("json.Unmarshal(%s) error = %v, want error %v", tt.in, err, want)
			}
			if got, want := p.DateIn, tt.wantDateIn; got != want {
				t.Errorf("DateIn = %v, want %v", got, want)
			}
			if got, want := p.DateOut, tt.wantDateOut; got != want {
				t.Errorf("DateOut = %v, want %v", got, want)
			}
		})
	}
}

func TestDateJSONRoundTrip(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Date
	}{
		{desc: "zero date", in: freezer.Date{}},
		{desc: "ordinary date", in: date("2018-01-02")},
		{desc: "leap day", in: date("2024-02-29")},
		{desc: "last day", in: date("9999-12-31")},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var got freezer.Date
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("json.Unmarshal(%s): %v", b, err)
			}
			if got, want := got, tt.in; got != want {
				t.Errorf("round trip = %#v, want %#v", got, want)
			}
		})
	}
}

func TestDateScan(t *testing.T) {
	tests := []struct {
		desc    string
		start   freezer.Date
		src     any
		want    freezer.Date
		wantErr bool
	}{
		{desc: "string", src: "2018-01-02", want: date("2018-01-02")},
		{desc: "string with time (SQLite datetime text)", src: "2018-01-02 13:14:15", want: date("2018-01-02")},
		{desc: "string with RFC 3339 time", src: "2018-01-02T13:14:15Z", want: date("2018-01-02")},
		{desc: "bytes", src: []byte("2024-02-29"), want: date("2024-02-29")},
		{desc: "bytes with time (MySQL text protocol)", src: []byte("2024-02-29 00:00:00"), want: date("2024-02-29")},
		{desc: "time at UTC midnight", src: time.Date(2018, 1, 2, 0, 0, 0, 0, time.UTC), want: date("2018-01-02")},
		{desc: "time late in the UTC day", src: time.Date(2018, 1, 2, 23, 59, 59, 0, time.UTC), want: date("2018-01-02")},
		{desc: "time in another zone is read in UTC", src: time.Date(2018, 1, 2, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)), want: date("2018-01-03")},
		{desc: "nil gives zero date", start: date("2018-01-02"), src: nil, want: freezer.Date{}},
		{desc: "invalid string", start: date("2018-01-02"), src: "2018-02-30", want: date("2018-01-02"), wantErr: true},
		{desc: "short string", src: "2018-1-2", wantErr: true},
		{desc: "empty string", src: "", wantErr: true},
		{desc: "invalid bytes", src: []byte("nonsense!!"), wantErr: true},
		{desc: "integer is an unsupported type", src: int64(20180102), wantErr: true},
		{desc: "float is an unsupported type", src: 1.5, wantErr: true},
		{desc: "bool is an unsupported type", src: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := tt.start
			err := got.Scan(tt.src)
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("Scan(%#v) error = %v, want error %v", tt.src, err, want)
			}
			if got, want := got, tt.want; got != want {
				t.Errorf("Scan(%#v) = %#v, want %#v", tt.src, got, want)
			}
		})
	}
}

func TestDateValue(t *testing.T) {
	tests := []struct {
		desc string
		in   freezer.Date
		want any
	}{
		{desc: "zero date is NULL", in: freezer.Date{}, want: nil},
		{desc: "date is text", in: date("2018-01-02"), want: "2018-01-02"},
		{desc: "leap day is text", in: date("2024-02-29"), want: "2024-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			v, err := tt.in.Value()
			if err != nil {
				t.Fatalf("Value(): %v", err)
			}
			if got, want := v, tt.want; got != want {
				t.Errorf("Value() = %#v, want %#v", got, want)
			}
			// What Value stores, Scan reads back.
			var back freezer.Date
			if err := back.Scan(v); err != nil {
				t.Fatalf("Scan(%#v): %v", v, err)
			}
			if got, want := back, tt.in; got != want {
				t.Errorf("Scan(Value()) = %#v, want %#v", got, want)
			}
		})
	}
}

func TestDateScanErrorWrapsCode(t *testing.T) {
	tests := []struct {
		desc string
		src  any
		want string
	}{
		{desc: "invalid text keeps EINVALID", src: "2018-13-01", want: freezer.EINVALID},
		{desc: "unsupported type is internal", src: 42, want: freezer.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var d freezer.Date
			err := d.Scan(tt.src)
			if got, want := freezer.ErrorCode(err), tt.want; got != want {
				t.Errorf("ErrorCode(Scan(%#v)) = %q, want %q", tt.src, got, want)
			}
			var fe *freezer.Error
			if got, want := errors.As(err, &fe), tt.want == freezer.EINVALID; got != want {
				t.Errorf("errors.As(*Error) = %v, want %v", got, want)
			}
		})
	}
}
