package freezer_test

import (
	"slices"
	"testing"

	"github.com/freezer-manager/freezer"
)

func TestUseBy(t *testing.T) {
	tests := []struct {
		desc   string
		dateIn string
		period int
		want   string
	}{
		{desc: "period 0 is the day it went in", dateIn: "2018-01-02", period: 0, want: "2018-01-02"},
		{desc: "three months", dateIn: "2018-01-02", period: 3, want: "2018-04-02"},
		{desc: "31 January plus 1 in common year", dateIn: "2018-01-31", period: 1, want: "2018-02-28"},
		{desc: "31 January plus 1 in leap year", dateIn: "2024-01-31", period: 1, want: "2024-02-29"},
		{desc: "leap day plus 12", dateIn: "2024-02-29", period: 12, want: "2025-02-28"},
		{desc: "31 August plus 1", dateIn: "2018-08-31", period: 1, want: "2018-09-30"},
		{desc: "across a year", dateIn: "2018-11-30", period: 3, want: "2019-02-28"},
		{desc: "six months from 31 August", dateIn: "2023-08-31", period: 6, want: "2024-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := freezer.UseBy(date(tt.dateIn), tt.period).String(), tt.want; got != want {
				t.Errorf("UseBy(%s, %d) = %s, want %s", tt.dateIn, tt.period, got, want)
			}
			p := freezer.Product{DateIn: date(tt.dateIn), PeriodMonths: tt.period}
			if got, want := p.UseBy().String(), tt.want; got != want {
				t.Errorf("Product.UseBy() = %s, want %s", got, want)
			}
		})
	}
}

func TestIsOverdue(t *testing.T) {
	tests := []struct {
		desc   string
		dateIn string
		period int
		today  string
		want   bool
	}{
		{desc: "day it went in", dateIn: "2018-01-02", period: 3, today: "2018-01-02", want: false},
		{desc: "day before use-by", dateIn: "2018-01-02", period: 3, today: "2018-04-01", want: false},
		{desc: "use-by day is not overdue", dateIn: "2018-01-02", period: 3, today: "2018-04-02", want: false},
		{desc: "day after use-by is overdue", dateIn: "2018-01-02", period: 3, today: "2018-04-03", want: true},
		{desc: "long after use-by", dateIn: "2018-01-02", period: 3, today: "2020-01-01", want: true},
		{desc: "period 0 on the day it went in", dateIn: "2018-01-02", period: 0, today: "2018-01-02", want: false},
		{desc: "period 0 on the next day", dateIn: "2018-01-02", period: 0, today: "2018-01-03", want: true},
		{desc: "leap year: use-by 29 February is not overdue", dateIn: "2024-01-31", period: 1, today: "2024-02-29", want: false},
		{desc: "leap year: 1 March is overdue", dateIn: "2024-01-31", period: 1, today: "2024-03-01", want: true},
		{desc: "common year: 28 February is not overdue", dateIn: "2023-01-31", period: 1, today: "2023-02-28", want: false},
		{desc: "common year: 1 March is overdue", dateIn: "2023-01-31", period: 1, today: "2023-03-01", want: true},
		{desc: "leap day plus 12: 28 February is not overdue", dateIn: "2024-02-29", period: 12, today: "2025-02-28", want: false},
		{desc: "leap day plus 12: 1 March is overdue", dateIn: "2024-02-29", period: 12, today: "2025-03-01", want: true},
		{desc: "31 August plus 1: 30 September is not overdue", dateIn: "2018-08-31", period: 1, today: "2018-09-30", want: false},
		{desc: "31 August plus 1: 1 October is overdue", dateIn: "2018-08-31", period: 1, today: "2018-10-01", want: true},
		{desc: "across a year: 31 December not overdue", dateIn: "2018-12-31", period: 12, today: "2019-12-31", want: false},
		{desc: "across a year: 1 January overdue", dateIn: "2018-12-31", period: 12, today: "2020-01-01", want: true},
		{desc: "today before date in is not overdue", dateIn: "2018-01-02", period: 0, today: "2017-12-31", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := freezer.IsOverdue(date(tt.dateIn), tt.period, date(tt.today)), tt.want; got != want {
				t.Errorf("IsOverdue(%s, %d, %s) = %v, want %v", tt.dateIn, tt.period, tt.today, got, want)
			}
		})
	}
}

func TestIsDueSoon(t *testing.T) {
	tests := []struct {
		desc    string
		dateIn  string
		period  int
		today   string
		dueSoon int
		want    bool
	}{
		// dateIn 2018-01-02 + 3 months: use-by 2018-04-02; 14 days before is 2018-03-19.
		{desc: "long before use-by", dateIn: "2018-01-02", period: 3, today: "2018-02-01", dueSoon: 14, want: false},
		{desc: "one day before the window", dateIn: "2018-01-02", period: 3, today: "2018-03-18", dueSoon: 14, want: false},
		{desc: "exactly dueSoonDays before use-by", dateIn: "2018-01-02", period: 3, today: "2018-03-19", dueSoon: 14, want: true},
		{desc: "inside the window", dateIn: "2018-01-02", period: 3, today: "2018-03-25", dueSoon: 14, want: true},
		{desc: "day before use-by", dateIn: "2018-01-02", period: 3, today: "2018-04-01", dueSoon: 14, want: true},
		{desc: "use-by day is due soon", dateIn: "2018-01-02", period: 3, today: "2018-04-02", dueSoon: 14, want: true},
		{desc: "overdue is not due soon", dateIn: "2018-01-02", period: 3, today: "2018-04-03", dueSoon: 14, want: false},
		{desc: "long overdue is not due soon", dateIn: "2018-01-02", period: 3, today: "2019-01-01", dueSoon: 14, want: false},
		{desc: "dueSoonDays 0: use-by day only", dateIn: "2018-01-02", period: 3, today: "2018-04-02", dueSoon: 0, want: true},
		{desc: "dueSoonDays 0: day before is not", dateIn: "2018-01-02", period: 3, today: "2018-04-01", dueSoon: 0, want: false},
		{desc: "dueSoonDays 0: day after is not", dateIn: "2018-01-02", period: 3, today: "2018-04-03", dueSoon: 0, want: false},
		{desc: "dueSoonDays 1: day before is", dateIn: "2018-01-02", period: 3, today: "2018-04-01", dueSoon: 1, want: true},
		{desc: "default window", dateIn: "2018-01-02", period: 3, today: "2018-03-19", dueSoon: freezer.DefaultDueSoonDays, want: true},
		{desc: "window larger than the period covers the day in", dateIn: "2018-01-02", period: 1, today: "2018-01-02", dueSoon: 60, want: true},
		// Leap year: dateIn 2024-01-31 + 1: use-by 2024-02-29; 14 days before is 2024-02-15.
		{desc: "leap year: window start", dateIn: "2024-01-31", period: 1, today: "2024-02-15", dueSoon: 14, want: true},
		{desc: "leap year: day before window", dateIn: "2024-01-31", period: 1, today: "2024-02-14", dueSoon: 14, want: false},
		{desc: "leap year: use-by 29 February", dateIn: "2024-01-31", period: 1, today: "2024-02-29", dueSoon: 14, want: true},
		{desc: "leap year: 1 March is overdue, not due soon", dateIn: "2024-01-31", period: 1, today: "2024-03-01", dueSoon: 14, want: false},
		// Common year: dateIn 2023-01-31 + 1: use-by 2023-02-28; 14 days before is 2023-02-14.
		{desc: "common year: window start", dateIn: "2023-01-31", period: 1, today: "2023-02-14", dueSoon: 14, want: true},
		{desc: "common year: day before window", dateIn: "2023-01-31", period: 1, today: "2023-02-13", dueSoon: 14, want: false},
		{desc: "common year: use-by 28 February", dateIn: "2023-01-31", period: 1, today: "2023-02-28", dueSoon: 14, want: true},
		{desc: "common year: 1 March is overdue, not due soon", dateIn: "2023-01-31", period: 1, today: "2023-03-01", dueSoon: 14, want: false},
		// Across a year: dateIn 2018-10-10 + 3: use-by 2019-01-10; 14 days before is 2018-12-27.
		{desc: "window across a year: start", dateIn: "2018-10-10", period: 3, today: "2018-12-27", dueSoon: 14, want: true},
		{desc: "window across a year: before", dateIn: "2018-10-10", period: 3, today: "2018-12-26", dueSoon: 14, want: false},
		// Window over a leap day: use-by 2024-03-05, 7 days before is 2024-02-27.
		{desc: "window over leap day: start", dateIn: "2024-01-05", period: 2, today: "2024-02-27", dueSoon: 7, want: true},
		{desc: "window over leap day: before", dateIn: "2024-01-05", period: 2, today: "2024-02-26", dueSoon: 7, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := freezer.IsDueSoon(date(tt.dateIn), tt.period, date(tt.today), tt.dueSoon)
			if want := tt.want; got != want {
				t.Errorf("IsDueSoon(%s, %d, %s, %d) = %v, want %v", tt.dateIn, tt.period, tt.today, tt.dueSoon, got, want)
			}
			// A product is never both due soon and overdue.
			if got && freezer.IsOverdue(date(tt.dateIn), tt.period, date(tt.today)) {
				t.Errorf("IsDueSoon and IsOverdue are both true")
			}
		})
	}
}

func TestProductOverdueAndDueSoon(t *testing.T) {
	tests := []struct {
		desc        string
		dateIn      string
		dateOut     string // "" while inside
		period      int
		today       string
		dueSoon     int
		wantOverdue bool
		wantDueSoon bool
	}{
		{desc: "inside, fresh", dateIn: "2018-01-02", period: 3, today: "2018-01-10", dueSoon: 14},
		{desc: "inside, due soon", dateIn: "2018-01-02", period: 3, today: "2018-03-25", dueSoon: 14, wantDueSoon: true},
		{desc: "inside, use-by day", dateIn: "2018-01-02", period: 3, today: "2018-04-02", dueSoon: 14, wantDueSoon: true},
		{desc: "inside, overdue", dateIn: "2018-01-02", period: 3, today: "2018-04-03", dueSoon: 14, wantOverdue: true},
		{desc: "taken out is never overdue", dateIn: "2018-01-02", dateOut: "2018-02-01", period: 3, today: "2019-01-01", dueSoon: 14},
		{desc: "taken out after use-by is never overdue", dateIn: "2018-01-02", dateOut: "2018-06-01", period: 3, today: "2018-07-01", dueSoon: 14},
		{desc: "taken out is never due soon", dateIn: "2018-01-02", dateOut: "2018-02-01", period: 3, today: "2018-03-25", dueSoon: 14},
		{desc: "taken out on use-by day is not due soon", dateIn: "2018-01-02", dateOut: "2018-04-02", period: 3, today: "2018-04-02", dueSoon: 14},
		{desc: "inside, leap year overdue on 1 March", dateIn: "2024-01-31", period: 1, today: "2024-03-01", dueSoon: 14, wantOverdue: true},
		{desc: "inside, leap year due soon on 29 February", dateIn: "2024-01-31", period: 1, today: "2024-02-29", dueSoon: 14, wantDueSoon: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			p := freezer.Product{DateIn: date(tt.dateIn), PeriodMonths: tt.period}
			if tt.dateOut != "" {
				p.DateOut = date(tt.dateOut)
			}
			if got, want := p.Inside(), tt.dateOut == ""; got != want {
				t.Errorf("Inside() = %v, want %v", got, want)
			}
			if got, want := p.Overdue(date(tt.today)), tt.wantOverdue; got != want {
				t.Errorf("Overdue(%s) = %v, want %v", tt.today, got, want)
			}
			if got, want := p.DueSoon(date(tt.today), tt.dueSoon), tt.wantDueSoon; got != want {
				t.Errorf("DueSoon(%s, %d) = %v, want %v", tt.today, tt.dueSoon, got, want)
			}
		})
	}
}

func TestNextFreeSlot(t *testing.T) {
	tests := []struct {
		desc  string
		taken []int
		want  int
	}{
		{desc: "nil", taken: nil, want: 1},
		{desc: "empty", taken: []int{}, want: 1},
		{desc: "full run", taken: []int{1, 2, 3}, want: 4},
		{desc: "first free", taken: []int{2, 3}, want: 1},
		{desc: "hole in the middle", taken: []int{1, 3}, want: 2},
		{desc: "duplicates", taken: []int{1, 1, 2, 2, 2}, want: 3},
		{desc: "duplicates around a hole", taken: []int{3, 1, 3, 1}, want: 2},
		{desc: "unsorted", taken: []int{3, 1, 2, 5}, want: 4},
		{desc: "unsorted descending", taken: []int{4, 3, 2, 1}, want: 5},
		{desc: "zero and negative are ignored", taken: []int{0, -1, -5}, want: 1},
		{desc: "zero with 1 taken", taken: []int{0, 1}, want: 2},
		{desc: "large slot only", taken: []int{1000}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			before := slices.Clone(tt.taken)
			if got, want := freezer.NextFreeSlot(tt.taken), tt.want; got != want {
				t.Errorf("NextFreeSlot(%v) = %d, want %d", tt.taken, got, want)
			}
			if got, want := slices.Equal(tt.taken, before), true; got != want {
				t.Errorf("NextFreeSlot modified its argument: %v, was %v", tt.taken, before)
			}
		})
	}
}

func TestNextFreeSlotLong(t *testing.T) {
	tests := []struct {
		desc string
		n    int // slots 1..n taken
		want int
	}{
		{desc: "100 slots taken", n: 100, want: 101},
		{desc: "1000 slots taken", n: 1000, want: 1001},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			taken := make([]int, 0, tt.n)
			for i := tt.n; i >= 1; i-- {
				taken = append(taken, i)
			}
			if got, want := freezer.NextFreeSlot(taken), tt.want; got != want {
				t.Errorf("NextFreeSlot(1..%d) = %d, want %d", tt.n, got, want)
			}
		})
	}
}
