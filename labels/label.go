// Package labels renders the labels scanners read (PNG, PDF sheets, ZPL)
// and prints them (directories, CUPS, TCP 9100, webhooks); the codes they
// carry are the root package's (freezer.ProductCode, …). It imports only
// the root package and internal/netguard: it must not import the store,
// the broker or any HTTP or MQTT surface.
package labels

import (
	"fmt"
	"strconv"

	freezer "github.com/freezer-manager/freezer"
)

// Label is what one printed label shows: a QR code and some text beside
// it. Every renderer (PNG, PDF, ZPL) lays it out the same way.
type Label struct {
	Code  string // the QR payload, also printed in small type under the text
	Title string // bold, on up to two lines: a product's name, a freezer's name, a command
	Lines []Line
}

// Line is one line of text under the title.
type Line struct {
	Text     string
	Bold     bool
	MaxLines int  // wraps onto up to this many lines (0 means 1)
	Rule     bool // followed by a line to write on (blank labels)
}

// Size is a label's format: its physical size, and its pixels in PNG.
type Size struct {
	Name              string  // one of freezer.LabelSizes
	WidthMM, HeightMM float64 // landscape: width ≥ height
	Width, Height     int     // PNG pixels at DPI
	DPI               int
}

// The label sizes, at 300 dpi. 62 mm tape prints 696 dots across (the
// printable width of Brother QL printers); it is cut at 29 mm.
var sizes = map[string]Size{
	freezer.LabelSize62mm:  {Name: freezer.LabelSize62mm, WidthMM: 62, HeightMM: 29, Width: 696, Height: 342, DPI: 300},
	freezer.LabelSize29x90: {Name: freezer.LabelSize29x90, WidthMM: 90, HeightMM: 29, Width: 991, Height: 306, DPI: 300},
	freezer.LabelSize50x25: {Name: freezer.LabelSize50x25, WidthMM: 50, HeightMM: 25, Width: 591, Height: 295, DPI: 300},
}

// SizeOf returns the size named name ("" is the default, 62mm), or EINVALID.
func SizeOf(name string) (Size, error) {
	if name == "" {
		name = freezer.LabelSize62mm
	}
	s, ok := sizes[name]
	if !ok {
		return Size{}, freezer.ValidateLabelSize(name)
	}
	return s, nil
}

// Sizes returns every label size, the default first.
func Sizes() []Size {
	list := make([]Size, 0, len(freezer.LabelSizes))
	for _, name := range freezer.LabelSizes {
		list = append(list, sizes[name])
	}
	return list
}

// words are the texts of labels in each language.
type words struct {
	in, useBy, serves, box, name string
	commands                     map[string][2]string // command → title, explanation
}

var vocabulary = map[string]words{
	freezer.LanguageEnglish: {in: "In", useBy: "Use by", serves: "Serves", box: "Box", name: "Name",
		commands: map[string][2]string{
			freezer.CommandIn:    {"IN", "Scan, then scan products to put them back in."},
			freezer.CommandOut:   {"OUT", "Scan, then scan products to take them out."},
			freezer.CommandMove:  {"MOVE", "Scan, then a product, then the box it goes to."},
			freezer.CommandUndo:  {"UNDO", "Scan to undo this scanner's last operation."},
			freezer.CommandWaste: {"WASTE", "Scan, then scan products to take them out as thrown away."},
		}},
	freezer.LanguageFrench: {in: "Entré le", useBy: "Limite", serves: "Pour", box: "Boîte", name: "Nom",
		commands: map[string][2]string{
			freezer.CommandIn:    {"ENTRÉE", "Scannez, puis les produits à remettre."},
			freezer.CommandOut:   {"SORTIE", "Scannez, puis les produits à sortir."},
			freezer.CommandMove:  {"DÉPLACER", "Scannez, puis un produit, puis sa boîte."},
			freezer.CommandUndo:  {"ANNULER", "Scannez pour annuler la dernière opération."},
			freezer.CommandWaste: {"JETER", "Scannez, puis les produits sortis pour être jetés."},
		}},
}

func vocab(lang string) words {
	if w, ok := vocabulary[lang]; ok {
		return w
	}
	return vocabulary[freezer.LanguageEnglish]
}

// Location formats a product's place for a label: "F2 · B3 · S7".
func Location(freezerID int64, box, slot int) string {
	return fmt.Sprintf("F%d · B%d · S%d", freezerID, box, slot)
}

// UseByMonth is the month a product must be eaten by: "2026-06".
func UseByMonth(p *freezer.Product) string { return p.UseBy().String()[:7] }

// ProductLabel is a product's label: name, place, date in, use-by month
// and quantity, in language lang (en or fr).
func ProductLabel(p *freezer.Product, lang string) Label {
	w := vocab(lang)
	return Label{Code: freezer.ProductCode(p.ID), Title: p.Name, Lines: []Line{
		{Text: Location(p.FreezerID, p.Box, p.Slot), Bold: true},
		{Text: w.in + " " + p.DateIn.String()},
		{Text: w.useBy + " " + UseByMonth(p), Bold: true},
		{Text: w.serves + " " + strconv.Itoa(p.Quantity)},
	}}
}

// BoxLabels are the labels of every box of a freezer.
func BoxLabels(f *freezer.Freezer, lang string) []Label {
	w := vocab(lang)
	list := make([]Label, 0, f.NumberBoxes)
	for box := 1; box <= f.NumberBoxes; box++ {
		list = append(list, Label{Code: freezer.BoxCode(f.ID, box), Title: w.box + " " + strconv.Itoa(box), Lines: []Line{
			{Text: f.Name, Bold: true},
			{Text: fmt.Sprintf("F%d · B%d", f.ID, box)},
		}})
	}
	return list
}

// Commands lists the command cards in the order they are printed.
var Commands = []string{freezer.CommandIn, freezer.CommandOut, freezer.CommandMove, freezer.CommandUndo, freezer.CommandWaste}

// CommandCard is the card of one command (freezer.CommandIn, …).
func CommandCard(command, lang string) Label {
	t := vocab(lang).commands[command]
	return Label{Code: freezer.CommandCode(command), Title: t[0], Lines: []Line{{Text: t[1], MaxLines: 3}}}
}

// CommandCards are the command cards, in the order of Commands.
func CommandCards(lang string) []Label {
	list := make([]Label, 0, len(Commands))
	for _, c := range Commands {
		list = append(list, CommandCard(c, lang))
	}
	return list
}

// BlankLabel is a product label printed ahead for a reserved id, with lines
// to write the name and dates on.
func BlankLabel(id int64, lang string) Label {
	w := vocab(lang)
	return Label{Code: freezer.ProductCode(id), Lines: []Line{
		{Text: w.name, Rule: true},
		{Text: w.in, Rule: true},
		{Text: w.useBy, Rule: true},
	}}
}
