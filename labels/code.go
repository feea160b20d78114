// Package labels encodes and parses the codes printed on labels, and
// renders and prints the labels themselves.
package labels

import (
	"fmt"
	"strconv"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

// Kind tells what a scanned code stands for.
type Kind int

// The kinds of code.
const (
	KindUnknown Kind = iota // not a code we know
	KindProduct             // FZ-I-<id>: a product label
	KindBox                 // FZ-B-<freezer>-<box>: a box label
	KindCommand             // FZ-C-<command>: a command card
	KindBarcode             // EAN-8, UPC-A or EAN-13 digits: a retail barcode
)

// Command cards.
const (
	CommandIn   = "IN"
	CommandOut  = "OUT"
	CommandMove = "MOVE"
	CommandUndo = "UNDO"
)

// Code is a parsed scan code.
type Code struct {
	Kind      Kind
	ProductID int64  // KindProduct
	FreezerID int64  // KindBox
	Box       int    // KindBox
	Command   string // KindCommand: one of the Command constants
	Barcode   string // KindBarcode
}

// MaxCodeLength bounds what Parse reads: longer input is unknown.
const MaxCodeLength = 256

// ProductCode returns the payload of a product label: "FZ-I-000123".
func ProductCode(id int64) string { return fmt.Sprintf("FZ-I-%06d", id) }

// BoxCode returns the payload of a box label: "FZ-B-2-3".
func BoxCode(freezerID int64, box int) string { return fmt.Sprintf("FZ-B-%d-%d", freezerID, box) }

// CommandCode returns the payload of a command card: "FZ-C-UNDO".
func CommandCode(command string) string { return "FZ-C-" + command }

// Parse reads a scanned code: surrounding white space is ignored, case does
// not matter, and a product label may also be a URL ending in /i/<id>.
// Anything else is KindUnknown, never an error: scanners read all sorts of codes.
func Parse(s string) Code {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxCodeLength {
		return Code{}
	}
	if isDigits(s) && freezer.ValidateBarcode(s) == nil {
		return Code{Kind: KindBarcode, Barcode: s}
	}
	upper := strings.ToUpper(s)
	if rest, ok := strings.CutPrefix(upper, "FZ-"); ok {
		return parseFZ(rest)
	}
	for _, scheme := range []string{"HTTPS://", "HTTP://"} {
		if rest, ok := strings.CutPrefix(upper, scheme); ok {
			if i := strings.Index(rest, "/I/"); i > 0 {
				if id, ok := parseID(strings.TrimSuffix(rest[i+3:], "/")); ok {
					return Code{Kind: KindProduct, ProductID: id}
				}
			}
		}
	}
	return Code{}
}

func parseFZ(rest string) Code {
	switch {
	case strings.HasPrefix(rest, "I-"):
		if id, ok := parseID(rest[2:]); ok {
			return Code{Kind: KindProduct, ProductID: id}
		}
	case strings.HasPrefix(rest, "B-"):
		f, b, ok := strings.Cut(rest[2:], "-")
		freezerID, ok1 := parseID(f)
		box, ok2 := parseID(b)
		if ok && ok1 && ok2 && box <= freezer.MaxBoxes {
			return Code{Kind: KindBox, FreezerID: freezerID, Box: int(box)}
		}
	case strings.HasPrefix(rest, "C-"):
		switch cmd := rest[2:]; cmd {
		case CommandIn, CommandOut, CommandMove, CommandUndo:
			return Code{Kind: KindCommand, Command: cmd}
		}
	}
	return Code{}
}

// parseID reads a positive decimal id of at most 18 digits.
func parseID(s string) (int64, bool) {
	if s == "" || len(s) > 18 || !isDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
