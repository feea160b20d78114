package freezer

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"time"
)

// MaxPeriodMonths, MaxQuantity and MaxSlot bound a product's period,
// quantity and slot number.
const (
	MaxPeriodMonths = 1200
	MaxQuantity     = 10000
	MaxSlot         = math.MaxInt32
)

// Product is one item stored in a freezer slot. It stays in the database
// after it is taken out (DateOut set), as history.
type Product struct {
	ID          int64  `json:"id"`
	HouseholdID int64  `json:"household_id"`
	FreezerID   int64  `json:"freezer_id"`
	Box         int    `json:"box"`
	Slot        int    `json:"slot"` // 0 on create: the next free slot of the box
	Name        string `json:"name"`
	Description string `json:"description"`
	TypeID      int64  `json:"type_id"`
	Quantity    int    `json:"quantity"` // persons
	Barcode     string `json:"barcode"`  // retail EAN/UPC, or ""
	DateIn      Date   `json:"date_in"`
	DateOut     Date   `json:"date_out"` // zero while inside
	// Outcome tells what became of a product taken out: OutcomeEaten or
	// OutcomeDiscarded ("" while inside).
	Outcome      string    `json:"outcome"`
	PeriodMonths int       `json:"period_months"`
	Version      int64     `json:"version"` // incremented by every change
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Inside reports whether the product is still in its freezer.
func (p *Product) Inside() bool { return p.DateOut.IsZero() }

// UseBy returns the last day the product may stay in the freezer.
func (p *Product) UseBy() Date { return UseBy(p.DateIn, p.PeriodMonths) }

// Overdue reports whether the product is inside past its use-by day.
func (p *Product) Overdue(today Date) bool {
	return p.Inside() && IsOverdue(p.DateIn, p.PeriodMonths, today)
}

// DueSoon reports whether the product is inside and within dueSoonDays of its use-by day.
func (p *Product) DueSoon(today Date, dueSoonDays int) bool {
	return p.Inside() && IsDueSoon(p.DateIn, p.PeriodMonths, today, dueSoonDays)
}

// Validate checks the product's own fields against today, in the order the
// legacy API reports them after its own format checks: name, description,
// place, type, dates, period, quantity, barcode. The place (box within the
// freezer, free slot) needs the database and is checked there, first.
func (p *Product) Validate(today Date) error {
	if err := validateName("name", p.Name); err != nil {
		return err
	}
	if err := validateText("description", p.Description, MaxDescriptionLength); err != nil {
		return err
	}
	if p.FreezerID <= 0 {
		return fieldError("freezer_id", "freezer_id is required.")
	}
	if p.Box < 1 || p.Box > MaxBoxes {
		return fieldError("box", "box must be between 1 and %d.", MaxBoxes)
	}
	if p.Slot < 0 || p.Slot > MaxSlot {
		return fieldError("slot", "slot must be between 1 and %d.", MaxSlot)
	}
	if p.TypeID <= 0 {
		return fieldError("type_id", "type_id is required.")
	}
	if err := ValidateDates(p.DateIn, p.DateOut, today); err != nil {
		return err
	}
	if p.Outcome != "" { // "" for a product out reads as eaten
		if p.Inside() {
			return fieldError("outcome", "outcome is for a product taken out.")
		}
		if err := ValidateOutcome(p.Outcome); err != nil {
			return err
		}
	}
	if p.PeriodMonths < 0 || p.PeriodMonths > MaxPeriodMonths {
		return fieldError("period_months", "period_months must be between 0 and %d.", MaxPeriodMonths)
	}
	if p.Quantity < 0 || p.Quantity > MaxQuantity {
		return fieldError("quantity", "quantity must be between 0 and %d.", MaxQuantity)
	}
	return ValidateBarcode(p.Barcode)
}

// ValidateDates checks that dateIn is set and not in the future, and that
// dateOut, when set, is neither before dateIn nor in the future.
func ValidateDates(dateIn, dateOut, today Date) error {
	if dateIn.IsZero() {
		return fieldError("date_in", "date_in is required.")
	}
	if dateIn.After(today) {
		return fieldError("date_in", "date_in cannot be in the future (today is %s).", today)
	}
	if dateOut.IsZero() {
		return nil
	}
	return validateDateOut(dateIn, dateOut, today)
}

// validateDateOut checks that dateOut is neither before dateIn nor in the future.
func validateDateOut(dateIn, dateOut, today Date) error {
	if dateOut.Before(dateIn) {
		return fieldError("date_out", "date_out cannot be before date_in (%s).", dateIn)
	}
	if dateOut.After(today) {
		return fieldError("date_out", "date_out cannot be in the future (today is %s).", today)
	}
	return nil
}

// ValidateBarcode accepts "" or an EAN-8, UPC-A or EAN-13 code with a correct check digit.
func ValidateBarcode(code string) error {
	if code == "" {
		return nil
	}
	if n := len(code); n != 8 && n != 12 && n != 13 {
		return fieldError("barcode", "barcode must have 8, 12 or 13 digits.")
	}
	sum := 0
	for i := len(code) - 1; i >= 0; i-- {
		c := code[i]
		if c < '0' || c > '9' {
			return fieldError("barcode", "barcode must have only digits.")
		}
		weight := 1
		if (len(code)-1-i)%2 == 1 {
			weight = 3
		}
		sum += int(c-'0') * weight
	}
	if sum%10 != 0 {
		return fieldError("barcode", "barcode check digit is wrong.")
	}
	return nil
}

// Product list orders. Each but SortByEatNext has its reverse, the same
// name after "-" (SortByDateOutNew is the reverse of SortByDateOut): ties
// are broken by the id, in the same direction.
const (
	SortByID         = "id"        // oldest record first
	SortByName       = "name"      // by name, ignoring case
	SortByType       = "type"      // by the type's name in the filter's language, ignoring case
	SortByPlace      = "place"     // by the freezer's name (ignoring case), box, then slot
	SortByQuantity   = "quantity"  // fewest persons first
	SortByDateIn     = "date_in"   // oldest put in first (FIFO)
	SortByUseBy      = "use_by"    // closest to its end first
	SortByDateOut    = "date_out"  // inside first, then the earliest taken out
	SortByDateOutNew = "-date_out" // most recently taken out first
	SortByEatNext    = "eat_next"  // what to eat next first: see EatNextOrder
)

// ProductSortKeys are the sort names that have a reverse ("-" + name).
var ProductSortKeys = []string{SortByID, SortByName, SortByType, SortByPlace, SortByQuantity, SortByDateIn, SortByUseBy, SortByDateOut}

// ValidProductSort reports whether sort names a product list order.
func ValidProductSort(sort string) bool {
	if sort == "" || sort == SortByEatNext {
		return true
	}
	for _, k := range ProductSortKeys {
		if sort == k || sort == "-"+k {
			return true
		}
	}
	return false
}

// EatNextOrder compares two products by what to eat next on today: overdue
// first, then due soon (within each household's due-soon window, given by
// dueSoonDays), both by use-by day, then the others inside by the day they
// went in (the oldest first), then the ones out; the id breaks ties.
func EatNextOrder(a, b *Product, today Date, dueSoonDays func(householdID int64) int) int {
	rank := func(p *Product) (int, Date) {
		switch p.Stage(today, dueSoonDays(p.HouseholdID)) {
		case StageOverdue:
			return 0, p.UseBy()
		case StageDueSoon:
			return 1, p.UseBy()
		case StageInside:
			return 2, p.DateIn
		}
		return 3, p.DateOut
	}
	ra, da := rank(a)
	rb, db := rank(b)
	if ra != rb {
		return ra - rb
	}
	if c := da.Compare(db); c != 0 {
		return c
	}
	return int(max(min(a.ID-b.ID, 1), -1))
}

// ProductFilter selects products among those the actor may see; nil fields match everything.
type ProductFilter struct {
	ID          *int64
	HouseholdID *int64
	FreezerID   *int64
	Box         *int
	Slot        *int
	TypeID      *int64
	Inside      *bool
	Barcode     *string
	// Query keeps products whose name or description contains it.
	Query string
	// Stage keeps products inside at that stage: StageOverdue or StageDueSoon.
	Stage string
	Sort  string // one of the SortBy constants or its reverse; "" is SortByID
	// Language names the types for SortByType: LanguageFrench, else English.
	Language string
	// AfterID keeps products with a greater id: a cursor for SortByID.
	AfterID int64
	Offset  int
	Limit   int // 0 means no limit
}

// MaxQueryLength bounds the text a product list is searched for, in characters.
const MaxQueryLength = 200

// Validate returns EINVALID for a search text longer than MaxQueryLength or
// not valid UTF-8, a negative offset or limit, or an unknown sort.
func (f ProductFilter) Validate() error {
	if err := validateText("q", f.Query, MaxQueryLength); err != nil {
		return err
	}
	if f.Offset < 0 || f.Limit < 0 {
		return Errorf(EINVALID, "offset and limit must be 0 or more.")
	}
	if !ValidProductSort(f.Sort) {
		return Errorf(EINVALID, "Unknown sort %q.", f.Sort)
	}
	return nil
}

// Product stages, for filters and display.
const (
	StageInside  = "inside"   // inside, neither due soon nor overdue
	StageDueSoon = "due_soon" // inside, close to its use-by day
	StageOverdue = "overdue"  // inside, past its use-by day
	StageOut     = "out"      // taken out
)

// Stage returns where the product stands on today.
func (p *Product) Stage(today Date, dueSoonDays int) string {
	switch {
	case !p.Inside():
		return StageOut
	case p.Overdue(today):
		return StageOverdue
	case p.DueSoon(today, dueSoonDays):
		return StageDueSoon
	}
	return StageInside
}

// ProductUpdate holds the fields to change; nil keeps the current value.
// DateOut set to a day takes a product inside out on that day (TakeOut's
// rule), or corrects the day of one already out; set to the zero Date (JSON
// null), it puts a product that is out back in (PutBack's rule: at the slot
// given, else its own or the next free one). A change of freezer, box or
// slot follows CheckBox and ChooseSlot.
type ProductUpdate struct {
	Name         *string `json:"name"`
	Description  *string `json:"description"`
	TypeID       *int64  `json:"type_id"`
	Quantity     *int    `json:"quantity"`
	Barcode      *string `json:"barcode"`
	DateIn       *Date   `json:"date_in"`
	DateOut      *Date   `json:"date_out"`
	Outcome      *string `json:"outcome"` // of a product out: eaten or discarded
	PeriodMonths *int    `json:"period_months"`
	FreezerID    *int64  `json:"freezer_id"`
	Box          *int    `json:"box"`
	Slot         *int    `json:"slot"`
	// Version, when not 0, must equal the stored version (ECONFLICT otherwise).
	Version int64 `json:"version"`
}

// UnmarshalJSON reads an update strictly (no unknown member); "date_out":
// null asks to put the product back in, where a plain pointer would read it
// as "keep".
func (upd *ProductUpdate) UnmarshalJSON(b []byte) error {
	type plain ProductUpdate
	var fields struct {
		plain
		DateOut json.RawMessage `json:"date_out"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fields); err != nil {
		return err
	}
	*upd = ProductUpdate(fields.plain)
	if fields.DateOut != nil {
		var d Date
		if err := d.UnmarshalJSON(fields.DateOut); err != nil {
			return err
		}
		upd.DateOut = &d
	}
	return nil
}

// Placement tells what an update asks of its product's place.
type Placement struct {
	// Check: the place changed, or the product goes back inside, so
	// CheckBox and ChooseSlot apply to it.
	Check bool
	// Fallback: a taken slot gives the next free one (a put-back that
	// names no place).
	Fallback bool
}

// Apply copies the set fields of upd onto p and tells how its place must be
// checked. A date_out on a product inside takes it out on that day; on one
// out, corrects that day; the zero Date puts one that is out back in (and is
// nothing for one inside). The dates themselves are checked by Validate.
func (upd ProductUpdate) Apply(p *Product) Placement {
	before := PlaceOf(p)
	setIf(&p.Name, upd.Name)
	setIf(&p.Description, upd.Description)
	setIf(&p.TypeID, upd.TypeID)
	setIf(&p.Quantity, upd.Quantity)
	setIf(&p.Barcode, upd.Barcode)
	setIf(&p.DateIn, upd.DateIn)
	setIf(&p.DateOut, upd.DateOut)
	setIf(&p.PeriodMonths, upd.PeriodMonths)
	setIf(&p.FreezerID, upd.FreezerID)
	setIf(&p.Box, upd.Box)
	setIf(&p.Slot, upd.Slot)
	setIf(&p.Outcome, upd.Outcome)
	switch {
	case p.Inside():
		p.Outcome = ""
	case p.Outcome == "":
		p.Outcome = OutcomeEaten
	}
	moved := p.FreezerID != before.FreezerID || p.Box != before.Box || p.Slot != before.Slot
	putBack := p.Inside() && !before.DateOut.IsZero()
	named := upd.FreezerID != nil || upd.Box != nil || upd.Slot != nil
	return Placement{Check: moved || putBack, Fallback: putBack && !named}
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// ProductService manages products. A product's place is checked in the same
// transaction that changes it: the freezer is the actor's, the box exists,
// and the slot holds no other product inside (ECONFLICT otherwise).
type ProductService interface {
	// FindProductByID returns one product (ENOTFOUND).
	FindProductByID(ctx context.Context, id int64) (*Product, error)
	// FindProducts returns the products matching filter.
	FindProducts(ctx context.Context, filter ProductFilter) ([]*Product, error)
	// CreateProduct stores a product; Slot 0 takes the next free slot of
	// the box (EINVALID, ENOTFOUND, ECONFLICT). p.ID may be set to keep an
	// imported id (system only).
	CreateProduct(ctx context.Context, p *Product) error
	// UpdateProduct changes, moves, takes out or puts back a product, all
	// at once, by the rules of ProductUpdate (EINVALID, ENOTFOUND, ECONFLICT).
	UpdateProduct(ctx context.Context, id int64, upd ProductUpdate) (*Product, error)
	// DeleteProduct removes a product record (ENOTFOUND).
	DeleteProduct(ctx context.Context, id int64) error
	ProductLife
	Calendar
}

// ValidateProductName returns EINVALID for an empty, multi-line or overlong name.
func ValidateProductName(name string) error { return validateName("name", name) }

// ValidateDescription returns EINVALID for an overlong description or one with control characters.
func ValidateDescription(s string) error {
	return validateText("description", s, MaxDescriptionLength)
}
