package freezer

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The format name and version of a household export document.
const (
	ExportFormat  = "freezer-manager-export"
	ExportVersion = 1
)

// MaxImportedID bounds the freezer and product ids of a document: an
// import keeps ids and moves the id sequence past them, and new ids must
// stay short enough for the labels printed later.
const MaxImportedID = 999_999_999_999

// HouseholdExport is a whole household as one JSON document: its settings,
// freezers (archived ones too) and products (taken-out ones too), with the
// product types they use for reference. Ids are those of the exporting
// database. Printed labels carry product ids, so an import keeps every
// label naming its product: a product keeps its id where the importing
// server has no product nor blank label with it, and otherwise takes a new
// id while its old one becomes an alias, a label that names it within its
// household (docs/labels.md, "Labels across servers").
type HouseholdExport struct {
	Format       string             `json:"format"`  // ExportFormat
	Version      int                `json:"version"` // ExportVersion
	ExportedAt   time.Time          `json:"exported_at"`
	Household    ExportedHousehold  `json:"household"`
	Freezers     []*ExportedFreezer `json:"freezers"`
	Products     []*ExportedProduct `json:"products"`
	ProductTypes []*ProductType     `json:"product_types"` // the types the products use
	// BlankLabels are the product ids of the household's blank labels that
	// no product claimed yet; an import reserves each one still free.
	BlankLabels []int64 `json:"blank_labels"`
}

// ExportedHousehold holds a household's own settings.
type ExportedHousehold struct {
	Name        string `json:"name"`
	DueSoonDays int    `json:"due_soon_days"`
}

// ExportedFreezer is a freezer of an export; products refer to its ID.
type ExportedFreezer struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	NumberBoxes int        `json:"number_boxes"`
	ArchivedAt  *time.Time `json:"archived_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ExportedProduct is a product of an export, in its freezer's box and slot.
type ExportedProduct struct {
	ID           int64     `json:"id"`
	FreezerID    int64     `json:"freezer_id"` // an ExportedFreezer's ID
	Box          int       `json:"box"`
	Slot         int       `json:"slot"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	TypeID       int64     `json:"type_id"`
	Quantity     int       `json:"quantity"`
	Barcode      string    `json:"barcode"`
	DateIn       Date      `json:"date_in"`
	DateOut      Date      `json:"date_out"` // null while inside
	Outcome      string    `json:"outcome"`  // eaten or discarded, "" while inside (or from an older export: eaten)
	PeriodMonths int       `json:"period_months"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Labels are the other product ids printed on labels of this product,
	// which name it through aliases since an earlier import.
	Labels []int64 `json:"labels"`
}

// ImportResult counts what an import created.
type ImportResult struct {
	HouseholdID int64 `json:"household_id"`
	Freezers    int   `json:"freezers"`
	Products    int   `json:"products"`
	Inside      int   `json:"inside"` // products inside, among Products
	// KeptIDs counts the products that kept their ids; Aliases the labels
	// that name their product through an alias (ids taken on this server).
	KeptIDs     int `json:"kept_ids"`
	Aliases     int `json:"aliases"`
	BlankLabels int `json:"blank_labels"` // blank labels reserved again
}

// ExportService copies a household out of and into the database.
type ExportService interface {
	// ExportHousehold returns one of the actor's households as a document
	// (ENOTFOUND).
	ExportHousehold(ctx context.Context, householdID int64) (*HouseholdExport, error)
	// ImportHousehold recreates the document's freezers and products in one
	// of the actor's households that has no freezer yet, keeping every
	// printed label naming its product (see HouseholdExport), and takes
	// over its name and due-soon window, all in one transaction (EINVALID
	// naming the field at fault, ENOTFOUND, ECONFLICT when the household is
	// not empty or one of its blank labels carries a label id of the
	// document).
	ImportHousehold(ctx context.Context, householdID int64, doc *HouseholdExport) (*ImportResult, error)
}

// Validate checks a document before an import: its format and version,
// every field, that products refer to its freezers and boxes, and that no
// two products are inside in the same slot. today bounds the dates. It
// returns EINVALID with the path of the field at fault.
func (doc *HouseholdExport) Validate(today Date) error {
	if doc.Format != ExportFormat {
		return Errorf(EINVALID, "format must be %q.", ExportFormat)
	}
	if doc.Version != ExportVersion {
		return Errorf(EINVALID, "version %d is not supported: use %d.", doc.Version, ExportVersion)
	}
	h := Household{Name: doc.Household.Name, DueSoonDays: doc.Household.DueSoonDays}
	if err := h.Validate(); err != nil {
		return prefixError("household.", err)
	}
	freezers := make(map[int64]*ExportedFreezer, len(doc.Freezers))
	for i, f := range doc.Freezers {
		at := fmt.Sprintf("freezers[%d].", i)
		if f == nil {
			return Errorf(EINVALID, "freezers[%d] must be an object.", i)
		}
		if f.ID <= 0 || f.ID > MaxImportedID {
			return Errorf(EINVALID, "%sid must be between 1 and %d.", at, int64(MaxImportedID))
		}
		if freezers[f.ID] != nil {
			return Errorf(EINVALID, "%sid %d appears twice.", at, f.ID)
		}
		if err := (&Freezer{HouseholdID: 1, Name: f.Name, NumberBoxes: f.NumberBoxes}).Validate(); err != nil {
			return prefixError(at, err)
		}
		freezers[f.ID] = f
	}
	type place struct {
		freezer int64
		box     int
		slot    int
	}
	inside := make(map[place]int)
	labels := make(map[int64]string) // every label id of the document, and where
	label := func(id int64, at string) error {
		if id < 0 || id > MaxImportedID || (id == 0 && !strings.HasSuffix(at, ".id")) {
			return Errorf(EINVALID, "%s must be a product id between 1 and %d.", at, int64(MaxImportedID))
		}
		if prev, dup := labels[id]; dup && id != 0 {
			return Errorf(EINVALID, "%s: label id %d is also %s.", at, id, prev)
		}
		labels[id] = at
		return nil
	}
	for i, p := range doc.Products {
		at := fmt.Sprintf("products[%d].", i)
		if p == nil {
			return Errorf(EINVALID, "products[%d] must be an object.", i)
		}
		if err := label(p.ID, at+"id"); err != nil {
			return err
		}
		for j, id := range p.Labels {
			if err := label(id, fmt.Sprintf("%slabels[%d]", at, j)); err != nil {
				return err
			}
		}
		if err := p.product().Validate(today); err != nil {
			return prefixError(at, err)
		}
		if p.Slot < 1 {
			return Errorf(EINVALID, "%sslot must be 1 or more.", at)
		}
		if p.Version < 0 {
			return Errorf(EINVALID, "%sversion must be 1 or more.", at)
		}
		f := freezers[p.FreezerID]
		if f == nil {
			return Errorf(EINVALID, "%sfreezer_id %d is not one of freezers.", at, p.FreezerID)
		}
		if !p.DateOut.IsZero() {
			continue // a taken-out product may stay in a box the freezer no longer has
		}
		if err := CheckBox(&Freezer{ID: f.ID, NumberBoxes: f.NumberBoxes, ArchivedAt: f.ArchivedAt}, p.Box); err != nil {
			if f.ArchivedAt != nil {
				return Errorf(EINVALID, "%sdate_out is required: freezer %d is archived.", at, f.ID)
			}
			return prefixError(at, err)
		}
		key := place{p.FreezerID, p.Box, p.Slot}
		if j, taken := inside[key]; taken {
			return Errorf(EINVALID, "%sslot: products[%d] is inside at the same place.", at, j)
		}
		inside[key] = i
	}
	for i, id := range doc.BlankLabels {
		if err := label(id, fmt.Sprintf("blank_labels[%d]", i)); err != nil {
			return err
		}
	}
	for i, t := range doc.ProductTypes {
		if t == nil {
			return Errorf(EINVALID, "product_types[%d] must be an object.", i)
		}
	}
	return nil
}

// LabelIDs returns every product id the document's labels carry: its
// products' ids, their aliases and its blank labels.
func (doc *HouseholdExport) LabelIDs() []int64 {
	var ids []int64
	for _, p := range doc.Products {
		if p.ID > 0 {
			ids = append(ids, p.ID)
		}
		ids = append(ids, p.Labels...)
	}
	return append(ids, doc.BlankLabels...)
}

// product returns p as a domain product, for its validation.
func (p *ExportedProduct) product() *Product {
	return &Product{ID: p.ID, FreezerID: p.FreezerID, Box: p.Box, Slot: p.Slot, Name: p.Name, Description: p.Description,
		TypeID: p.TypeID, Quantity: p.Quantity, Barcode: p.Barcode, DateIn: p.DateIn, DateOut: p.DateOut, Outcome: p.Outcome,
		PeriodMonths: p.PeriodMonths, Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// prefixError puts the path of an object before the field an EINVALID
// message starts with: "name is required." becomes "products[3].name is required.".
func prefixError(path string, err error) error {
	if ErrorCode(err) != EINVALID {
		return err
	}
	return Errorf(EINVALID, "%s%s", path, ErrorMessage(err))
}
