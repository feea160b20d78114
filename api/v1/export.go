package v1

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// maxImportBytes bounds an import document, whatever the general body
// limit: a household of a few tens of thousands of products fits.
const maxImportBytes = 64 << 20

func (s *server) v1ExportRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/households/:id/export", Summary: "The whole household as one JSON document: freezers, products (taken-out ones too) and their types",
			Handler: s.v1ExportHousehold, Response: freezer.HouseholdExport{}},
		{Method: http.MethodGet, Path: "/households/:id/export.csv", Summary: "The household's products as CSV (RFC 4180, UTF-8, header row)",
			Handler: s.v1ExportCSV, Response: "", Produces: "text/csv"},
		{Method: http.MethodPost, Path: "/households/:id/import", Summary: "Recreate an exported household in this household, which must have no freezer (409 otherwise); everything gets new ids",
			Handler: s.v1ImportHousehold, Request: freezer.HouseholdExport{}, Response: freezer.ImportResult{}, Status: http.StatusCreated},
	}
}

func (s *server) v1ExportHousehold(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := s.services.Exports.ExportHousehold(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="household-%d.json"`, id))
	return c.JSON(http.StatusOK, doc)
}

// csvHeader names the columns of the CSV export.
var csvHeader = []string{"id", "freezer_id", "freezer_name", "box", "slot", "name", "description", "type_id", "type_name_en",
	"type_name_fr", "quantity", "barcode", "date_in", "date_out", "period_months", "use_by", "version"}

func (s *server) v1ExportCSV(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := s.services.Exports.ExportHousehold(httpapi.Ctx(c), id)
	if err != nil {
		return err
	}
	freezers := make(map[int64]string, len(doc.Freezers))
	for _, f := range doc.Freezers {
		freezers[f.ID] = f.Name
	}
	types := make(map[int64]*freezer.ProductType, len(doc.ProductTypes))
	for _, t := range doc.ProductTypes {
		types[t.ID] = t
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true // RFC 4180 line ends
	_ = w.Write(csvHeader)
	for _, p := range doc.Products {
		t := types[p.TypeID]
		if t == nil {
			t = &freezer.ProductType{ID: p.TypeID}
		}
		_ = w.Write([]string{
			strconv.FormatInt(p.ID, 10), strconv.FormatInt(p.FreezerID, 10), csvText(freezers[p.FreezerID]),
			strconv.Itoa(p.Box), strconv.Itoa(p.Slot), csvText(p.Name), csvText(p.Description),
			strconv.FormatInt(p.TypeID, 10), csvText(t.NameEN), csvText(t.NameFR), strconv.Itoa(p.Quantity), p.Barcode,
			p.DateIn.String(), p.DateOut.String(), strconv.Itoa(p.PeriodMonths),
			freezer.UseBy(p.DateIn, p.PeriodMonths).String(), strconv.FormatInt(p.Version, 10),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="household-%d.csv"`, id))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvText protects a text cell from spreadsheets that would run it as a
// formula (CSV injection): a leading =, +, -, @, tab or carriage return
// gets a ' before it. Anything else is written as it is.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *server) v1ImportHousehold(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err != nil {
		return err
	}
	// Not found before a bad body: another household's id says nothing about the document.
	if _, err := s.services.Households.FindHouseholdByID(httpapi.Ctx(c), id); err != nil {
		return err
	}
	doc, err := s.readImport(c)
	if err != nil {
		return err
	}
	result, err := s.services.Exports.ImportHousehold(httpapi.Ctx(c), id, doc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, result)
}

// readImport reads an import document as bind does (JSON content type,
// UTF-8, no unknown field), with its own size limit and errors that give
// the path of the field at fault, such as products[3].date_in.
func (s *server) readImport(c echo.Context) (*freezer.HouseholdExport, error) {
	if !httpapi.IsJSONContentType(c.Request().Header.Get(echo.HeaderContentType)) {
		return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the body as application/json.")
	}
	limit := max(s.config.MaxBodyBytes, maxImportBytes)
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is larger than %d bytes.", limit))
		}
		return nil, freezer.Errorf(freezer.EINVALID, "The body could not be read.")
	}
	if !utf8.Valid(data) {
		return nil, freezer.Errorf(freezer.EINVALID, "The body is not valid UTF-8.")
	}
	return decodeExport(data)
}

// decodeExport decodes a document part by part, so that an error names
// where it is.
func decodeExport(data []byte) (*freezer.HouseholdExport, error) {
	if !json.Valid(data) {
		var v any
		return nil, httpapi.JSONError(json.Unmarshal(data, &v))
	}
	var top struct {
		Format       string            `json:"format"`
		Version      int               `json:"version"`
		ExportedAt   json.RawMessage   `json:"exported_at"` // informative: any value is accepted
		Household    json.RawMessage   `json:"household"`
		Freezers     []json.RawMessage `json:"freezers"`
		Products     []json.RawMessage `json:"products"`
		ProductTypes []json.RawMessage `json:"product_types"`
		BlankLabels  []int64           `json:"blank_labels"`
	}
	if err := strictDecode(data, &top, ""); err != nil {
		return nil, err
	}
	doc := &freezer.HouseholdExport{Format: top.Format, Version: top.Version, BlankLabels: top.BlankLabels}
	if top.Household == nil {
		return nil, freezer.Errorf(freezer.EINVALID, "household is required.")
	}
	if err := strictDecode(top.Household, &doc.Household, "household"); err != nil {
		return nil, err
	}
	for i, raw := range top.Freezers {
		f := new(freezer.ExportedFreezer)
		if err := strictDecode(raw, f, fmt.Sprintf("freezers[%d]", i)); err != nil {
			return nil, err
		}
		doc.Freezers = append(doc.Freezers, f)
	}
	for i, raw := range top.Products {
		p := new(freezer.ExportedProduct)
		if err := strictDecode(raw, p, fmt.Sprintf("products[%d]", i)); err != nil {
			return nil, err
		}
		doc.Products = append(doc.Products, p)
	}
	for i, raw := range top.ProductTypes {
		t := new(freezer.ProductType)
		if err := strictDecode(raw, t, fmt.Sprintf("product_types[%d]", i)); err != nil {
			return nil, err
		}
		doc.ProductTypes = append(doc.ProductTypes, t)
	}
	return doc, nil
}

// strictDecode decodes the JSON object raw into dst with no unknown field.
// On failure it decodes each member alone to find the one at fault, and
// names it after path.
func strictDecode(raw []byte, dst any, path string) error {
	err := strictUnmarshal(raw, dst)
	if err == nil {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil || members == nil {
		if path == "" {
			return freezer.Errorf(freezer.EINVALID, "The body must be a JSON object.")
		}
		return freezer.Errorf(freezer.EINVALID, "%s must be an object.", path)
	}
	for _, key := range slices.Sorted(maps.Keys(members)) {
		one, _ := json.Marshal(map[string]json.RawMessage{key: members[key]})
		probe := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
		if memberErr := strictUnmarshal(one, probe); memberErr != nil {
			return memberError(joinPath(path, key), memberErr)
		}
	}
	return freezer.Errorf(freezer.EINVALID, "%s: %s", path, freezer.ErrorMessage(httpapi.JSONError(err)))
}

func strictUnmarshal(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// memberError explains why the member at path could not be decoded.
func memberError(path string, err error) error {
	var typeErr *json.UnmarshalTypeError
	var fe *freezer.Error
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return freezer.Errorf(freezer.EINVALID, "%s is not a field of an export document.", path)
	case errors.As(err, &typeErr):
		return freezer.Errorf(freezer.EINVALID, "%s must be %s.", path, httpapi.JSONKind(typeErr.Type.Kind().String()))
	case errors.As(err, &fe):
		return freezer.Errorf(freezer.EINVALID, "%s: %s", path, fe.Message)
	}
	return freezer.Errorf(freezer.EINVALID, "%s is not valid.", path)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
