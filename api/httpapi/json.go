package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
)

// IsJSONContentType accepts application/json and application/*+json, with any parameters.
func IsJSONContentType(header string) bool {
	mediaType, _, err := mime.ParseMediaType(header)
	if err != nil {
		return false
	}
	return mediaType == "application/json" || (strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json"))
}

// BindJSON decodes a JSON body into dst strictly: the content type must be
// JSON, the body valid UTF-8 within maxBytes, with no unknown field and no
// trailing data. Errors name the field at fault: EINVALID, or an
// echo.HTTPError for 415 and 413.
func BindJSON(c echo.Context, dst any, maxBytes int64) error {
	if !IsJSONContentType(c.Request().Header.Get(echo.HeaderContentType)) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the body as application/json.")
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is larger than %d bytes.", maxBytes))
		}
		return freezer.Errorf(freezer.EINVALID, "The body could not be read.")
	}
	if !utf8.Valid(data) {
		return freezer.Errorf(freezer.EINVALID, "The body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var fe *freezer.Error // from a type's UnmarshalJSON, which the decoder does not name
		if errors.As(err, &fe) {
			if key := faultyMember(data, dst); key != "" {
				return freezer.Errorf(fe.Code, "%s: %s", key, fe.Message)
			}
		}
		return JSONError(err)
	}
	// More would miss a trailing '}' or ']': only the end of the input may follow.
	if _, err := dec.Token(); err != io.EOF {
		return freezer.Errorf(freezer.EINVALID, "The body has data after its JSON value.")
	}
	return nil
}

// faultyMember returns the member of the JSON object data that a type's
// UnmarshalJSON refuses when decoded on its own into a fresh value of
// dst's type, or "".
func faultyMember(data []byte, dst any) string {
	var members map[string]json.RawMessage
	if json.Unmarshal(data, &members) != nil {
		return ""
	}
	for _, key := range slices.Sorted(maps.Keys(members)) {
		one, _ := json.Marshal(map[string]json.RawMessage{key: members[key]})
		var fe *freezer.Error
		if err := json.Unmarshal(one, reflect.New(reflect.TypeOf(dst).Elem()).Interface()); errors.As(err, &fe) {
			return key
		}
	}
	return ""
}

// JSONError explains a decoding error in terms of the request's fields (EINVALID).
func JSONError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var fe *freezer.Error
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return freezer.Errorf(freezer.EINVALID, "%s must be %s.", typeErr.Field, JSONKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		return freezer.Errorf(freezer.EINVALID, "The body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return freezer.Errorf(freezer.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF):
		return freezer.Errorf(freezer.EINVALID, "The body is empty.")
	}
	return freezer.Errorf(freezer.EINVALID, "The body is not valid JSON.")
}

// JSONKind names a Go kind as the JSON value a client must send.
func JSONKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "true or false"
	case goKind == "slice":
		return "a list"
	}
	return "an object"
}
