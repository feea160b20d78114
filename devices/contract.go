// Package devices is the MQTT wire contract, written once: the topics under
// the contract's root, the scan and ack payloads, the household states,
// alert and scan events, Home Assistant's discovery topics and ids, and the
// Bus interface through which the hub, the alert job and the Home Assistant
// publisher reach a broker; and the programs that run on scanners
// (esphome/). It imports the root package only: never a broker library
// (mochi, paho), the store, or the packages that use the contract.
package devices

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	freezer "github.com/freezer-manager/freezer"
)

// DefaultRoot is the topic root of the contract.
const DefaultRoot = "freezer/v1"

// Topics names the contract's topics under a root.
type Topics struct {
	Root string
}

// Scan is where device dev publishes its scans.
func (t Topics) Scan(dev string) string { return t.Root + "/dev/" + dev + "/scan" }

// Ack is where the hub answers device dev.
func (t Topics) Ack(dev string) string { return t.Root + "/dev/" + dev + "/ack" }

// Status is device dev's retained online/offline state.
func (t Topics) Status(dev string) string { return t.Root + "/dev/" + dev + "/status" }

// SetMode is where the hub tells device dev its new mode.
func (t Topics) SetMode(dev string) string { return t.Root + "/dev/" + dev + "/set/mode" }

// HubStatus is the hub's retained online/offline state.
func (t Topics) HubStatus() string { return t.Root + "/hub/status" }

// ScanFilter matches every device's scan topic.
func (t Topics) ScanFilter() string { return t.Root + "/dev/+/scan" }

// DeviceOfScan returns the device id of a scan topic.
func (t Topics) DeviceOfScan(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, t.Root+"/dev/")
	if !ok {
		return "", false
	}
	dev, ok := strings.CutSuffix(rest, "/scan")
	if !ok || dev == "" || strings.ContainsAny(dev, "/+#") {
		return "", false
	}
	return dev, true
}

// Limits of a scan payload.
const (
	MaxScanPayload = 1024 // bytes
	MaxMsgIDLength = 128  // characters
)

// ScanMessage is what a device sends for one scan.
type ScanMessage struct {
	ID   string `json:"id"`             // unique per device; resent unchanged until acked
	Code string `json:"code"`           // what the scanner read
	Mode string `json:"mode,omitempty"` // in, out or move; "" means the device's current mode
}

// ErrBadScan is wrapped by every DecodeScan error.
var ErrBadScan = errors.New("bad scan payload")

// DecodeScan reads a scan payload: a JSON object, or a raw text line (a
// keyboard-style scanner's output) that has no id. When a JSON scan is bad
// but its id is valid, the error comes with a message holding only that id,
// so that the device can be answered.
func DecodeScan(payload []byte) (ScanMessage, error) {
	if len(payload) > MaxScanPayload {
		return ScanMessage{}, fmt.Errorf("%w: larger than %d bytes", ErrBadScan, MaxScanPayload)
	}
	if !utf8.Valid(payload) {
		return ScanMessage{}, fmt.Errorf("%w: not UTF-8", ErrBadScan)
	}
	text := bytes.TrimSpace(payload)
	if len(text) == 0 {
		return ScanMessage{}, fmt.Errorf("%w: empty", ErrBadScan)
	}
	var msg ScanMessage
	if text[0] == '{' {
		if err := json.Unmarshal(text, &msg); err != nil {
			return ScanMessage{}, fmt.Errorf("%w: %v", ErrBadScan, err)
		}
		if msg.ID == "" || utf8.RuneCountInString(msg.ID) > MaxMsgIDLength || !printable(msg.ID) {
			return ScanMessage{}, fmt.Errorf("%w: id must be 1 to %d printable characters", ErrBadScan, MaxMsgIDLength)
		}
		if msg.Mode != "" && freezer.ValidateMode(msg.Mode) != nil {
			return ScanMessage{ID: msg.ID}, fmt.Errorf("%w: mode must be in, out or move", ErrBadScan)
		}
	} else {
		if bytes.ContainsAny(text, "\r\n") {
			return ScanMessage{}, fmt.Errorf("%w: a raw scan is one line", ErrBadScan)
		}
		msg.Code = string(text)
	}
	msg.Code = strings.TrimSpace(msg.Code)
	if msg.Code == "" || !printable(msg.Code) {
		return ScanMessage{ID: msg.ID}, fmt.Errorf("%w: code must be printable text", ErrBadScan)
	}
	return msg, nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Ack is the hub's answer to one scan.
type Ack struct {
	ID       string `json:"id"`
	Status   string `json:"status"`             // ok, already, unknown, denied or error
	Op       string `json:"op,omitempty"`       // out, in, move, mode or undo
	Product  string `json:"product,omitempty"`  // the product's name
	Location string `json:"location,omitempty"` // "F2 B3 S7"
	Msg      string `json:"msg,omitempty"`      // a short text for the device's display
}

// Encode returns the ack's JSON payload.
func (a Ack) Encode() []byte {
	b, _ := json.Marshal(a)
	return b
}

// DecodeAck reads an ack payload.
func DecodeAck(payload []byte) (Ack, error) {
	var a Ack
	if err := json.Unmarshal(payload, &a); err != nil {
		return Ack{}, fmt.Errorf("decode ack: %w", err)
	}
	return a, nil
}
