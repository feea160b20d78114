package devices

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

// The household topics: what the hub publishes for a household's
// integrations (Home Assistant and the like), who may read
// {root}/household/{h}/# and nothing of other households.

// Household is the root of household h's topics.
func (t Topics) Household(h int64) string { return fmt.Sprintf("%s/household/%d", t.Root, h) }

// HouseholdStatus is the hub's retained online/offline state for household
// h: the availability of its Home Assistant entities.
func (t Topics) HouseholdStatus(h int64) string { return t.Household(h) + "/status" }

// HouseholdState is the household's retained HouseholdState.
func (t Topics) HouseholdState(h int64) string { return t.Household(h) + "/state" }

// FreezerState is freezer f's retained FreezerState.
func (t Topics) FreezerState(h, f int64) string {
	return fmt.Sprintf("%s/freezer/%d/state", t.Household(h), f)
}

// Alerts is where each new alert of household h is published, as an AlertMessage.
func (t Topics) Alerts(h int64) string { return t.Household(h) + "/alerts" }

// Events is where each scan answered for household h is published, as a ScanEventMessage.
func (t Topics) Events(h int64) string { return t.Household(h) + "/events" }

// DeviceState mirrors device dev's retained online/offline status under its
// household, where integrations may read it.
func (t Topics) DeviceState(h int64, dev string) string {
	return t.Household(h) + "/device/" + dev + "/status"
}

// StatusFilter matches every device's status topic.
func (t Topics) StatusFilter() string { return t.Root + "/dev/+/status" }

// DeviceOfStatus returns the device id of a status topic.
func (t Topics) DeviceOfStatus(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, t.Root+"/dev/")
	if !ok {
		return "", false
	}
	dev, ok := strings.CutSuffix(rest, "/status")
	if !ok || dev == "" || strings.ContainsAny(dev, "/+#") {
		return "", false
	}
	return dev, true
}

// FreezerState counts a freezer's products inside, and those overdue or due soon among them.
type FreezerState struct {
	Inside  int `json:"inside"`
	Overdue int `json:"overdue"`
	DueSoon int `json:"due_soon"`
}

// HouseholdState is a household's figures of the week and month, retained.
type HouseholdState struct {
	DueThisWeek        int `json:"due_this_week"`        // products inside whose use-by day is within 7 days
	DiscardedThisMonth int `json:"discarded_this_month"` // products thrown away since the 1st of the month
}

// Encode returns the state's JSON payload.
func (s HouseholdState) Encode() []byte {
	b, _ := json.Marshal(s)
	return b
}

// Encode returns the state's JSON payload.
func (s FreezerState) Encode() []byte {
	b, _ := json.Marshal(s)
	return b
}

// AlertMessage is one alert, as published on the alerts topic and posted to
// JSON webhooks. EventType makes it a Home Assistant event as it stands.
type AlertMessage struct {
	EventType   string       `json:"event_type"` // due_soon or overdue
	AlertID     int64        `json:"alert_id"`
	HouseholdID int64        `json:"household_id"`
	Household   string       `json:"household"`
	ProductID   int64        `json:"product_id"`
	Product     string       `json:"product"`
	FreezerID   int64        `json:"freezer_id"`
	Freezer     string       `json:"freezer"`
	Box         int          `json:"box"`
	Slot        int          `json:"slot"`
	Location    string       `json:"location"` // "F2 B3 S7"
	Label       string       `json:"label"`    // the product's label code, e.g. FZ-I-000123
	DateIn      freezer.Date `json:"date_in"`
	UseBy       freezer.Date `json:"use_by"`
	DaysLeft    int          `json:"days_left"` // negative once overdue
	Quantity    int          `json:"quantity"`
	At          time.Time    `json:"at"` // when the alert was recorded
}

// Encode returns the alert's JSON payload.
func (m AlertMessage) Encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

// Text is the alert in one sentence, for people.
func (m AlertMessage) Text() string {
	if m.EventType == freezer.AlertOverdue {
		return fmt.Sprintf("%s (%s, %s) is overdue: it should have been eaten by %s.", m.Product, m.Freezer, m.Location, m.UseBy)
	}
	return fmt.Sprintf("%s (%s, %s) is due soon: eat it by %s.", m.Product, m.Freezer, m.Location, m.UseBy)
}

// ScanEventMessage is one answered scan, as published on the events topic.
// EventType is the operation when the scan succeeded, else its status.
type ScanEventMessage struct {
	EventType string    `json:"event_type"`
	DeviceID  string    `json:"device_id"`
	Device    string    `json:"device"` // the device's name
	MsgID     string    `json:"id,omitempty"`
	Status    string    `json:"status"`
	Op        string    `json:"op,omitempty"`
	Product   string    `json:"product,omitempty"`
	Location  string    `json:"location,omitempty"`
	Msg       string    `json:"msg,omitempty"`
	At        time.Time `json:"at"`
}

// ScanEventTypes are the event types of scan events, as Home Assistant's
// event entity lists them.
var ScanEventTypes = []string{
	freezer.OpOut, freezer.OpIn, freezer.OpMove, freezer.OpMode, freezer.OpUndo,
	freezer.ScanAlready, freezer.ScanUnknown, freezer.ScanDenied, freezer.ScanError,
}

// NewScanEventMessage describes an ack as a scan event of device d at at.
func NewScanEventMessage(d *freezer.Device, a Ack, at time.Time) ScanEventMessage {
	typ := a.Status
	if a.Status == freezer.ScanOK && a.Op != "" {
		typ = a.Op
	}
	return ScanEventMessage{EventType: typ, DeviceID: d.ID, Device: d.Name, MsgID: a.ID, Status: a.Status, Op: a.Op,
		Product: a.Product, Location: a.Location, Msg: a.Msg, At: at.UTC()}
}

// Encode returns the event's JSON payload.
func (m ScanEventMessage) Encode() []byte {
	b, _ := json.Marshal(m)
	return b
}
