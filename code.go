package freezer

import (
	"fmt"
	"strconv"
	"strings"
)

// The codes printed on labels and read by scanners (see the MQTT contract).

// CodeKind tells what a scanned code stands for.
type CodeKind int

// The kinds of code.
const (
	CodeUnknown CodeKind = iota // not a code we know
	CodeProduct                 // FZ-I-<id>: a product label
	CodeBox                     // FZ-B-<freezer>-<box>: a box label
	CodeCommand                 // FZ-C-<command>: a command card
	CodeBarcode                 // EAN-8, UPC-A or EAN-13 digits: a retail barcode
)

// Command cards.
const (
	CommandIn   = "IN"
	CommandOut  = "OUT"
	CommandMove = "MOVE"
	CommandUndo = "UNDO"
	// CommandWaste switches a scanner to ModeDiscard.
	CommandWaste = "WASTE"
)

// Code is a parsed scan code.
type Code struct {
	Kind      CodeKind
	ProductID int64  // CodeProduct
	FreezerID int64  // CodeBox
	Box       int    // CodeBox
	Command   string // CodeCommand: one of the Command constants
	Barcode   string // CodeBarcode
}

// MaxCodeLength bounds what ParseCode reads: longer input is unknown.
const MaxCodeLength = 256

// ProductCode returns the payload of a product label: "FZ-I-000123".
func ProductCode(id int64) string { return fmt.Sprintf("FZ-I-%06d", id) }

// BoxCode returns the payload of a box label: "FZ-B-2-3".
func BoxCode(freezerID int64, box int) string { return fmt.Sprintf("FZ-B-%d-%d", freezerID, box) }

// CommandCode returns the payload of a command card: "FZ-C-UNDO".
func CommandCode(command string) string { return "FZ-C-" + command }

// ParseCode reads a scanned code: surrounding white space is ignored, case does
// not matter, and a product label may also be a URL ending in /i/<id>.
// Anything else is CodeUnknown, never an error: scanners read all sorts of codes.
func ParseCode(s string) Code {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxCodeLength {
		return Code{}
	}
	if isDigits(s) && ValidateBarcode(s) == nil {
		return Code{Kind: CodeBarcode, Barcode: s}
	}
	upper := strings.ToUpper(s)
	if rest, ok := strings.CutPrefix(upper, "FZ-"); ok {
		return parseFZ(rest)
	}
	for _, scheme := range []string{"HTTPS://", "HTTP://"} {
		if rest, ok := strings.CutPrefix(upper, scheme); ok {
			if i := strings.Index(rest, "/I/"); i > 0 {
				if id, ok := parseID(strings.TrimSuffix(rest[i+3:], "/")); ok {
					return Code{Kind: CodeProduct, ProductID: id}
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
			return Code{Kind: CodeProduct, ProductID: id}
		}
	case strings.HasPrefix(rest, "B-"):
		f, b, ok := strings.Cut(rest[2:], "-")
		freezerID, ok1 := parseID(f)
		box, ok2 := parseID(b)
		if ok && ok1 && ok2 && box <= MaxBoxes {
			return Code{Kind: CodeBox, FreezerID: freezerID, Box: int(box)}
		}
	case strings.HasPrefix(rest, "C-"):
		switch cmd := rest[2:]; cmd {
		case CommandIn, CommandOut, CommandMove, CommandUndo, CommandWaste:
			return Code{Kind: CodeCommand, Command: cmd}
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
