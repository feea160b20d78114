package freezer

import "context"

// A product's life: it is placed in a box of a freezer, taken out, put back
// and moved. Each rule of it is written here once; the store applies them
// inside the transaction that writes the product, under the version it read,
// and every door (the REST APIs, the web site, the scanners) only asks for
// an operation and translates its outcome. "Today" is the store's calendar
// day in the server's time zone (see Calendar).

// Reasons a product operation is refused, in Error.Reason.
const (
	ReasonAlreadyOut     = "already_out"     // take-out of a product already out
	ReasonAlreadyInside  = "already_inside"  // put-back of a product inside
	ReasonSlotTaken      = "slot_taken"      // another product is inside at that slot
	ReasonBoxUnavailable = "box_unavailable" // the box no longer exists, or its freezer is archived
	ReasonStale          = "stale"           // the caller's version is not the stored one
)

// Calendar tells which day it is: the server's calendar day in its time
// zone (--tz), the one "today" of every rule, default and statistic.
type Calendar interface {
	// Today returns the current calendar day.
	Today() Date
}

// ruleError returns an *Error of a product rule.
func ruleError(code, reason, field, format string, args ...any) *Error {
	e := FieldErrorf(code, field, format, args...)
	e.Reason = reason
	return e
}

// ErrStale is the error of an operation made on a version of the product
// that is not the stored one.
func ErrStale(id, stored, given int64) error {
	return ruleError(ECONFLICT, ReasonStale, "version",
		"Product %d was changed by someone else (version %d, not %d): reload it.", id, stored, given)
}

// Outcomes of a product taken out.
const (
	OutcomeEaten     = "eaten"
	OutcomeDiscarded = "discarded" // thrown away
)

// ValidateOutcome returns EINVALID unless outcome is eaten or discarded.
func ValidateOutcome(outcome string) error {
	if outcome != OutcomeEaten && outcome != OutcomeDiscarded {
		return fieldError("outcome", "outcome must be %q or %q.", OutcomeEaten, OutcomeDiscarded)
	}
	return nil
}

// TakeOut takes p out on day on, or today when on is zero, with its outcome
// ("" is OutcomeEaten). A product already out stays as it is (ECONFLICT,
// ReasonAlreadyOut, with the day it went out). The default day is never
// before the day it went in: when the server's zone or clock moved back
// since, it is taken out the day it went in. An explicit day is neither
// before date_in nor in the future (EINVALID).
func (p *Product) TakeOut(on, today Date, outcome string) error {
	if outcome == "" {
		outcome = OutcomeEaten
	}
	if err := ValidateOutcome(outcome); err != nil {
		return err
	}
	if !p.Inside() {
		return ruleError(ECONFLICT, ReasonAlreadyOut, "date_out",
			"Product %d was already taken out on %s.", p.ID, p.DateOut)
	}
	if on.IsZero() {
		on = today
		if on.Before(p.DateIn) {
			on = p.DateIn
		}
	} else if err := validateDateOut(p.DateIn, on, today); err != nil {
		return err
	}
	p.DateOut, p.Outcome = on, outcome
	return nil
}

// PutBack marks p inside again; its place is chosen with ChooseSlot. A
// product already inside stays as it is (ECONFLICT, ReasonAlreadyInside).
func (p *Product) PutBack() error {
	if p.Inside() {
		return ruleError(ECONFLICT, ReasonAlreadyInside, "date_out",
			"Product %d is already inside, in %s.", p.ID, PlaceOf(p).Location())
	}
	p.DateOut, p.Outcome = Date{}, ""
	return nil
}

// CheckBox returns an error unless box is a box of f that may receive a
// product: 1 ≤ box ≤ f.NumberBoxes and f is not archived (EINVALID or
// ECONFLICT, ReasonBoxUnavailable).
func CheckBox(f *Freezer, box int) error {
	if box < 1 || box > f.NumberBoxes {
		return ruleError(EINVALID, ReasonBoxUnavailable, "box", "box must be between 1 and %d.", f.NumberBoxes)
	}
	if f.ArchivedAt != nil {
		return ruleError(ECONFLICT, ReasonBoxUnavailable, "freezer_id", "Freezer %d is archived.", f.ID)
	}
	return nil
}

// ChooseSlot returns the slot a product goes to in a box whose slots taken
// hold other products inside. Slot want 0 asks for the next free one; a
// taken slot is refused (ECONFLICT, ReasonSlotTaken) unless fallback, which
// gives the next free one instead.
func ChooseSlot(want int, taken []int, fallback bool) (int, error) {
	if want < 0 || want > MaxSlot {
		return 0, fieldError("slot", "slot must be between 1 and %d.", MaxSlot)
	}
	if want != 0 {
		free := true
		for _, s := range taken {
			free = free && s != want
		}
		if free {
			return want, nil
		}
		if !fallback {
			return 0, ErrSlotTaken(want)
		}
	}
	return NextFreeSlot(taken), nil
}

// NextFreeSlot returns the smallest slot number ≥ 1 that is not in taken.
func NextFreeSlot(taken []int) int {
	seen := make(map[int]bool, len(taken))
	for _, s := range taken {
		seen[s] = true
	}
	for slot := 1; ; slot++ {
		if !seen[slot] {
			return slot
		}
	}
}

// Destination is where a product is moved: a box of a freezer (FreezerID 0
// keeps its freezer) and a slot (0: the slot it has when it stays in its
// box, else the next free one). A moved product is inside afterwards.
type Destination struct {
	FreezerID int64 `json:"freezer_id"`
	Box       int   `json:"box"`
	Slot      int   `json:"slot"`
}

// TakeOutRequest takes a product out on Date (zero: today), eaten or thrown
// away (Outcome; "" is OutcomeEaten).
type TakeOutRequest struct {
	Date    Date   `json:"date"`
	Outcome string `json:"outcome"`
	// Version, when not 0, must equal the stored version (ECONFLICT otherwise).
	Version int64 `json:"version"`
}

// PutBackRequest puts a product back in at Slot of its box (0: its own
// slot, or the next free one when its own was taken meanwhile).
type PutBackRequest struct {
	Slot    int   `json:"slot"`
	Version int64 `json:"version"`
}

// MoveRequest moves a product to a Destination.
type MoveRequest struct {
	Destination
	Version int64 `json:"version"`
}

// ProductLife is the operations of a product's life. Each runs in one
// transaction and writes the product only under the version it read: of two
// concurrent operations on one product exactly one wins, and the other
// answers as if it came second (ReasonAlreadyOut, ReasonAlreadyInside).
type ProductLife interface {
	// TakeOutProduct takes a product out (EINVALID, ENOTFOUND, ECONFLICT).
	TakeOutProduct(ctx context.Context, id int64, req TakeOutRequest) (*Product, error)
	// PutBackProduct puts a taken-out product back in (EINVALID, ENOTFOUND, ECONFLICT).
	PutBackProduct(ctx context.Context, id int64, req PutBackRequest) (*Product, error)
	// MoveProduct moves a product to another box, putting it in if it was
	// out (EINVALID, ENOTFOUND, ECONFLICT).
	MoveProduct(ctx context.Context, id int64, req MoveRequest) (*Product, error)
}

// MoveTo sets p's place to the destination: FreezerID 0 keeps its freezer;
// Slot 0 keeps its slot when it stays inside its box, and asks ChooseSlot
// for the next free one otherwise. A moved product is inside.
func (p *Product) MoveTo(to Destination) {
	if to.FreezerID == 0 {
		to.FreezerID = p.FreezerID
	}
	if to.Slot == 0 && p.Inside() && to.FreezerID == p.FreezerID && to.Box == p.Box {
		to.Slot = p.Slot
	}
	p.FreezerID, p.Box, p.Slot, p.DateOut, p.Outcome = to.FreezerID, to.Box, to.Slot, Date{}, ""
}

// ErrSlotTaken is the error of a product placed at a slot another product
// inside holds.
func ErrSlotTaken(slot int) error {
	return ruleError(ECONFLICT, ReasonSlotTaken, "slot", "Slot %d of this box is taken.", slot)
}
