package freezer

import "time"

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
)

// Device is an MQTT client of a household: its id is its MQTT client id and username.
type Device struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	HouseholdID int64      `json:"household_id"`
	Name        string     `json:"name"`
	FreezerID   *int64     `json:"freezer_id"` // the freezer it is bound to, if any
	Mode        string     `json:"mode"`       // default scan mode
	LastSeenAt  *time.Time `json:"last_seen_at"`
	Online      bool       `json:"online"`
	CreatedAt   time.Time  `json:"created_at"`
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
	return ValidateMode(d.Mode)
}

// ValidateMode returns EINVALID unless mode is in, out or move.
func ValidateMode(mode string) error {
	switch mode {
	case ModeIn, ModeOut, ModeMove:
		return nil
	}
	return Errorf(EINVALID, "mode must be %q, %q or %q.", ModeIn, ModeOut, ModeMove)
}

// Scan outcomes, as sent in acks.
const (
	ScanOK      = "ok"
	ScanAlready = "already"
	ScanUnknown = "unknown"
	ScanDenied  = "denied"
	ScanError   = "error"
)

// ScanEvent is one scan received from a device, with its outcome: the audit
// trail and the idempotency record of (DeviceID, MsgID).
type ScanEvent struct {
	ID        int64     `json:"id"`
	DeviceID  string    `json:"device_id"`
	MsgID     string    `json:"msg_id"`
	Code      string    `json:"code"`
	Mode      string    `json:"mode"`
	Op        string    `json:"op"`
	Status    string    `json:"status"`
	ProductID *int64    `json:"product_id"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
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
