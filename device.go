package freezer

import (
	"context"
	"fmt"
	"time"
)

// Device kinds.
const (
	DeviceScanner     = "scanner"     // a scanner at a freezer door
	DeviceIntegration = "integration" // Home Assistant and the like
)

// Scan modes: what a product label does when a scanner reads it.
const (
	ModeIn   = "in"
	ModeOut  = "out"
	ModeMove = "move"
	// ModeDiscard takes products out as thrown away (OutcomeDiscarded).
	ModeDiscard = "discard"
)

// Device is an MQTT client of a household: its id is its MQTT client id and username.
type Device struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	HouseholdID int64      `json:"household_id"`
	Name        string     `json:"name"`
	FreezerID   *int64     `json:"freezer_id"` // the freezer it is bound to, if any
	Mode        string     `json:"mode"`       // current scan mode ("" for an integration)
	LastSeenAt  *time.Time `json:"last_seen_at"`
	Online      bool       `json:"online"`
	CreatedAt   time.Time  `json:"created_at"`
	// MovingProductID is the product a scanner in move mode picked up and
	// will put in the next box it scans (0 for none).
	MovingProductID int64 `json:"-"`
}

// Normalize sets what a device's kind decides: an integration has no scan
// mode; a scanner's is out unless given.
func (d *Device) Normalize() {
	switch {
	case d.Kind == DeviceIntegration:
		d.Mode = ""
	case d.Mode == "":
		d.Mode = ModeOut
	}
}

// Validate returns EINVALID when a field is out of range.
func (d *Device) Validate() error {
	if d.Kind != DeviceScanner && d.Kind != DeviceIntegration {
		return Errorf(EINVALID, "kind must be %q or %q.", DeviceScanner, DeviceIntegration)
	}
	if d.HouseholdID <= 0 {
		return Errorf(EINVALID, "household_id is required.")
	}
	if err := validateName("name", d.Name); err != nil {
		return err
	}
	if d.Kind == DeviceIntegration {
		if d.Mode != "" {
			return Errorf(EINVALID, "An integration has no scan mode.")
		}
		return nil
	}
	return ValidateMode(d.Mode)
}

// ValidateMode returns EINVALID unless mode is in, out, move or discard.
func ValidateMode(mode string) error {
	switch mode {
	case ModeIn, ModeOut, ModeMove, ModeDiscard:
		return nil
	}
	return Errorf(EINVALID, "mode must be %q, %q, %q or %q.", ModeIn, ModeOut, ModeMove, ModeDiscard)
}

// Scan outcomes, as sent in acks.
const (
	ScanOK      = "ok"
	ScanAlready = "already"
	ScanUnknown = "unknown"
	ScanDenied  = "denied"
	ScanError   = "error"
)

// DeviceFilter selects devices among those the actor may see.
type DeviceFilter struct {
	ID          *string
	HouseholdID *int64
	Kind        *string
}

// DeviceUpdate holds the fields to change; nil keeps the current value.
// FreezerID pointing at 0 unbinds the device.
type DeviceUpdate struct {
	Name      *string `json:"name"`
	FreezerID *int64  `json:"freezer_id"`
	Mode      *string `json:"mode"`
}

// DeviceService manages MQTT devices and their credentials.
type DeviceService interface {
	// CreateDevice registers a device in one of the actor's households and
	// returns its password, shown once (EINVALID, ENOTFOUND).
	CreateDevice(ctx context.Context, d *Device) (string, error)
	// FindDeviceByID returns one device (ENOTFOUND).
	FindDeviceByID(ctx context.Context, id string) (*Device, error)
	// FindDevices lists the devices the actor may see, ordered by creation.
	FindDevices(ctx context.Context, filter DeviceFilter) ([]*Device, error)
	// UpdateDevice renames a device, binds it to a freezer or sets its mode (ENOTFOUND, EINVALID).
	UpdateDevice(ctx context.Context, id string, upd DeviceUpdate) (*Device, error)
	// DeleteDevice revokes a device: its credentials stop working (ENOTFOUND).
	DeleteDevice(ctx context.Context, id string) error
	// AuthenticateDevice checks a device's credentials (EUNAUTHORIZED).
	AuthenticateDevice(ctx context.Context, id, password string) (*Device, error)
	// SetDeviceOnline records a device connecting or disconnecting.
	SetDeviceOnline(ctx context.Context, id string, online bool) error
}

// Operations a scan performs, as sent in acks.
const (
	OpOut  = "out"
	OpIn   = "in"
	OpMove = "move"
	OpMode = "mode"
	OpUndo = "undo"
)

// ScanEvent is one scan received from a device, with its outcome: the audit
// trail and the idempotency record of (DeviceID, MsgID).
type ScanEvent struct {
	ID        int64  `json:"id"`
	DeviceID  string `json:"device_id"`
	MsgID     string `json:"msg_id"`
	Code      string `json:"code"`
	Mode      string `json:"mode"`
	Op        string `json:"op"`
	Status    string `json:"status"`
	ProductID *int64 `json:"product_id"`
	Message   string `json:"message"`
	Location  string `json:"location"` // where the product is after the scan, e.g. "F2 B3 S7"
	Product   string `json:"product"`  // the product's name
	// Undo is the product's place before the scan, to put it back on undo.
	Undo      *ProductPlace `json:"-"`
	Undone    bool          `json:"undone"`
	CreatedAt time.Time     `json:"created_at"`
}

// ErrDuplicateScan is returned by ScanTx.InsertScanEvent when another
// transaction recorded the same (device, message id) first.
var ErrDuplicateScan = &Error{Code: ECONFLICT, Message: "This scan was already recorded."}

// ProductPlace is where a product is and whether it is inside.
type ProductPlace struct {
	FreezerID int64  `json:"freezer_id"`
	Box       int    `json:"box"`
	Slot      int    `json:"slot"`
	DateOut   Date   `json:"date_out"`
	Outcome   string `json:"outcome,omitempty"` // of a product out ("" reads as eaten)
}

// Location formats a place as scanners show it: "F2 B3 S7".
func (p ProductPlace) Location() string {
	return fmt.Sprintf("F%d B%d S%d", p.FreezerID, p.Box, p.Slot)
}

// PlaceOf returns where p is.
func PlaceOf(p *Product) ProductPlace {
	return ProductPlace{FreezerID: p.FreezerID, Box: p.Box, Slot: p.Slot, DateOut: p.DateOut, Outcome: p.Outcome}
}

// ScanTx is what the processing of one scan may read and change, inside the
// transaction that also records its ScanEvent. It acts as the server itself:
// the caller checks that a device touches only its own household.
type ScanTx interface {
	// FindScanEvent returns the event of (deviceID, msgID), or nil.
	FindScanEvent(ctx context.Context, deviceID, msgID string) (*ScanEvent, error)
	// FindRecentScan returns the device's latest event for code at or after since, or nil.
	FindRecentScan(ctx context.Context, deviceID, code string, since time.Time) (*ScanEvent, error)
	// FindLastUndoable returns the device's latest successful out, in or
	// move at or after since that was not undone, or nil.
	FindLastUndoable(ctx context.Context, deviceID string, since time.Time) (*ScanEvent, error)
	// MarkUndone flags an event as undone.
	MarkUndone(ctx context.Context, eventID int64) error
	// InsertScanEvent records an event; its ID is set once its batch commits.
	InsertScanEvent(ctx context.Context, e *ScanEvent) error
	// FindDevice returns a device with its scan state (ENOTFOUND).
	FindDevice(ctx context.Context, id string) (*Device, error)
	// SetDeviceScanState stores a device's current mode and the product it
	// is moving (0 for none).
	SetDeviceScanState(ctx context.Context, id, mode string, movingProductID int64) error
	// FindProduct returns a product of any household (ENOTFOUND).
	FindProduct(ctx context.Context, id int64) (*Product, error)
	// FindOldestInsideByBarcode returns the product inside with that barcode
	// in the household that went in first, preferring preferFreezer (when
	// not 0); nil when there is none.
	FindOldestInsideByBarcode(ctx context.Context, householdID int64, barcode string, preferFreezer int64) (*Product, error)
	// FindFreezer returns a freezer of any household (ENOTFOUND).
	FindFreezer(ctx context.Context, id int64) (*Freezer, error)
	// FindLabelReservation returns the blank-label reservation of a
	// product id (see LabelReservation), or nil.
	FindLabelReservation(ctx context.Context, id int64) (*LabelReservation, error)
	// FindAliasedProduct returns the product a household's label id names
	// through an alias, or nil: an imported product whose id was taken on
	// this server keeps its printed label that way, after the household's
	// own product with that id (see HouseholdExport).
	FindAliasedProduct(ctx context.Context, householdID, labelID int64) (*Product, error)
	// TakeOut, PutBack, Move and Restore are the operations of
	// ProductLife for a scan, on the store's today, acting as the system:
	// each applies its rule and writes the product under the version it
	// read. Refused (see ErrorReason: ReasonAlreadyOut, …), they return
	// the product as stored, or nil when there is none.
	TakeOut(ctx context.Context, id int64, outcome string) (*Product, error)
	PutBack(ctx context.Context, id int64) (*Product, error)
	Move(ctx context.Context, id int64, to Destination) (*Product, error)
	// Restore puts a product back at the place an undone scan found it
	// (its slot must be free).
	Restore(ctx context.Context, id int64, place ProductPlace) (*Product, error)
}

// ScanKey names what one scan of a batch is likely to read first, so that
// a store may read it for the whole batch at once; zero fields name nothing.
type ScanKey struct {
	DeviceID  string
	MsgID     string // the scan's message id, looked up for resends
	ProductID int64  // the product its code names
}

// ScanStore runs scan processing in transactions.
type ScanStore interface {
	// RunScans calls fn for each job of the batch, each as if inside its own
	// savepoint of one transaction, and commits them all at once: group
	// commit. A job whose fn fails is rolled back alone and its error
	// returned at its index. An error for the whole batch means nothing was
	// committed.
	RunScans(ctx context.Context, batch []ScanKey, fn func(ctx context.Context, tx ScanTx, i int) error) ([]error, error)
}

// Alert stages.
const (
	AlertDueSoon = "due_soon"
	AlertOverdue = "overdue"
)

// Alert records that a product reached a stage and was announced once.
type Alert struct {
	ID          int64     `json:"id"`
	HouseholdID int64     `json:"household_id"`
	ProductID   int64     `json:"product_id"`
	Stage       string    `json:"stage"`
	UseBy       Date      `json:"use_by"`
	CreatedAt   time.Time `json:"created_at"`
}
