// Package freezer holds the domain of Freezer Manager: the types, the rules
// on dates and slots, and the service interfaces that the storage, API and
// MQTT layers implement or use. It imports only the standard library.
package freezer

import (
	"context"
	"time"
)

// MaxBoxes bounds the number of boxes of one freezer.
const MaxBoxes = 1000

// Freezer is a household's freezer, divided into numbered boxes.
type Freezer struct {
	ID          int64      `json:"id"`
	HouseholdID int64      `json:"household_id"`
	Name        string     `json:"name"`
	NumberBoxes int        `json:"number_boxes"`
	ArchivedAt  *time.Time `json:"archived_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Validate returns EINVALID when a field is out of range.
func (f *Freezer) Validate() error {
	if f.HouseholdID <= 0 {
		return Errorf(EINVALID, "household_id is required.")
	}
	if err := validateName("name", f.Name); err != nil {
		return err
	}
	return ValidateNumberBoxes(f.NumberBoxes)
}

// ValidateNumberBoxes returns EINVALID unless 1 ≤ n ≤ MaxBoxes.
func ValidateNumberBoxes(n int) error {
	if n < 1 || n > MaxBoxes {
		return Errorf(EINVALID, "number_boxes must be between 1 and %d.", MaxBoxes)
	}
	return nil
}

// FreezerFilter selects freezers among those the actor may see.
type FreezerFilter struct {
	ID              *int64
	HouseholdID     *int64
	IncludeArchived bool
	Offset          int
	Limit           int
}

// FreezerUpdate holds the fields to change; nil keeps the current value.
type FreezerUpdate struct {
	Name        *string `json:"name"`
	NumberBoxes *int    `json:"number_boxes"`
}

// FreezerService manages freezers.
type FreezerService interface {
	// FindFreezerByID returns one freezer (ENOTFOUND).
	FindFreezerByID(ctx context.Context, id int64) (*Freezer, error)
	// FindFreezers returns the freezers the actor may see, ordered by id.
	FindFreezers(ctx context.Context, filter FreezerFilter) ([]*Freezer, error)
	// CreateFreezer adds a freezer to one of the actor's households
	// (EINVALID, ENOTFOUND for another household). f.ID may be set to keep
	// an imported id (system only).
	CreateFreezer(ctx context.Context, f *Freezer) error
	// UpdateFreezer renames or resizes a freezer; it refuses to drop a box
	// that holds a product inside (ECONFLICT).
	UpdateFreezer(ctx context.Context, id int64, upd FreezerUpdate) (*Freezer, error)
	// DeleteFreezer removes a freezer that never held a product (ECONFLICT
	// otherwise; archive it instead).
	DeleteFreezer(ctx context.Context, id int64) error
	// ArchiveFreezer hides a freezer that holds no product inside (ECONFLICT
	// otherwise); its history stays.
	ArchiveFreezer(ctx context.Context, id int64) (*Freezer, error)
	// NextFreeSlots returns, for each box 1..NumberBoxes, the smallest slot
	// not held by a product inside (ENOTFOUND).
	NextFreeSlots(ctx context.Context, freezerID int64) (map[int]int, error)
}
