package legacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// legacyBody is a JSON object of the legacy API, its values still raw.
type legacyBody map[string]json.RawMessage

// readLegacyBody checks the content type and reads a JSON object whose keys
// are exactly keys: 415 BAD_CONTENT_TYPE, 400 BAD_REQUEST for a body that is
// not JSON (or not UTF-8), 400 BAD_FORMAT for another key set.
func (s *server) readLegacyBody(c echo.Context, keys ...string) (legacyBody, error) {
	if !httpapi.IsJSONContentType(c.Request().Header.Get(echo.HeaderContentType)) {
		return nil, errLegacy(http.StatusUnsupportedMediaType, legacyBadContentType)
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, s.config.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errLegacy(http.StatusRequestEntityTooLarge, legacyBadRequest)
		}
		return nil, errLegacy(http.StatusBadRequest, legacyBadRequest)
	}
	if !utf8.Valid(data) {
		return nil, errLegacy(http.StatusBadRequest, legacyBadRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, errLegacy(http.StatusBadRequest, legacyBadRequest)
	}
	var body legacyBody
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return nil, errLegacy(http.StatusBadRequest, legacyBadFormat)
	}
	if len(body) != len(keys) {
		return nil, errLegacy(http.StatusBadRequest, legacyBadFormat)
	}
	for _, k := range keys {
		if _, ok := body[k]; !ok {
			return nil, errLegacy(http.StatusBadRequest, legacyBadFormat)
		}
	}
	return body, nil
}

// legacyMaxNumber bounds the numbers of the legacy API so that they fit every column.
const legacyMaxNumber = 1<<31 - 1

// isEmpty reports whether the value is the string "" (keep the current value).
func (b legacyBody) isEmpty(key string) bool {
	return bytes.Equal(bytes.TrimSpace(b[key]), []byte(`""`))
}

// number reads a non-negative integer given as a JSON number or a string of
// digits; anything else (negative, fraction, other text, null) is not ok.
func (b legacyBody) number(key string) (int64, bool) {
	raw := bytes.TrimSpace(b[key])
	var digits string
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &digits); err != nil {
			return 0, false
		}
	} else {
		digits = string(raw)
	}
	if digits == "" || len(digits) > 10 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > legacyMaxNumber {
		return 0, false
	}
	return n, true
}

// text reads a JSON string; null is not one (json.Unmarshal would read it as "").
func (b legacyBody) text(key string) (string, bool) {
	var s string
	if raw := bytes.TrimSpace(b[key]); len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// date reads a JSON string in YYYY-MM-DD form.
func (b legacyBody) date(key string) (freezer.Date, bool) {
	s, ok := b.text(key)
	if !ok {
		return freezer.Date{}, false
	}
	d, err := freezer.ParseDate(s)
	return d, err == nil
}

// isNull reports whether the value is JSON null or the string "null".
func (b legacyBody) isNull(key string) bool {
	raw := bytes.TrimSpace(b[key])
	return bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`"null"`))
}

// legacy request bodies: their exact key sets.
var (
	legacyFreezerCreateKeys = []string{"num_boxes", "name"}
	legacyFreezerUpdateKeys = []string{"freezer_id", "num_boxes", "name"}
	legacyFreezerDeleteKeys = []string{"freezer_id"}
	legacyProductAddKeys    = []string{"product_name", "text_descr", "freezer_id", "type_id", "date_in", "period", "box_num", "prod_num", "quantity"}
	legacyProductUpdateKeys = append(slices.Clone(legacyProductAddKeys), "date_out")
)
