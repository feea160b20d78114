package freezer

import (
	"context"
	"time"
)

// MaxBlankLabels bounds the blank labels reserved at once.
const MaxBlankLabels = 1000

// LabelReservation is a product id printed ahead on a blank label: the
// product created later with that label takes the id, so the label printed
// today scans as that product. Until then, scanning it answers "blank label
// not used yet".
type LabelReservation struct {
	ID          int64      `json:"id"` // the product id the label carries
	HouseholdID int64      `json:"household_id"`
	CreatedAt   time.Time  `json:"created_at"`
	ClaimedAt   *time.Time `json:"claimed_at"` // when a product took the id
}

// LabelService reserves product ids for blank labels and lets a new product
// claim one. Reserved ids and the ids of new products come from one
// sequence, so that neither takes the other's.
type LabelService interface {
	// ReserveLabels reserves n consecutive product ids for blank labels of a
	// household (EINVALID, ENOTFOUND).
	ReserveLabels(ctx context.Context, householdID int64, n int) ([]*LabelReservation, error)
	// FindLabelReservation returns the reservation of a product id (ENOTFOUND).
	FindLabelReservation(ctx context.Context, id int64) (*LabelReservation, error)
	// CreateProductWithLabel stores p, as CreateProduct does, under the id of
	// an unused blank label of p's household (EINVALID when labelID is not
	// such a label, ECONFLICT when a product already took it).
	CreateProductWithLabel(ctx context.Context, p *Product, labelID int64) error
}
