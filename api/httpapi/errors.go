package httpapi

import (
	"net/http"

	freezer "github.com/freezer-manager/freezer"
)

// ErrorResponse is the body of every error outside the legacy API.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is a domain error code and its message.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorStatus maps each domain error code to its one HTTP status.
var errorStatus = map[string]int{
	freezer.ECONFLICT:     http.StatusConflict,
	freezer.EINTERNAL:     http.StatusInternalServerError,
	freezer.EINVALID:      http.StatusBadRequest,
	freezer.ENOTFOUND:     http.StatusNotFound,
	freezer.EUNAUTHORIZED: http.StatusUnauthorized,
	freezer.EFORBIDDEN:    http.StatusForbidden,
}

// Status returns the HTTP status of err's domain error code.
func Status(err error) int {
	return errorStatus[freezer.ErrorCode(err)]
}

// StatusCode names an HTTP status that did not come from a domain error
// (an unknown route, a wrong method) with the nearest domain code.
func StatusCode(status int) string {
	for code, s := range errorStatus {
		if s == status {
			return code
		}
	}
	if status < 500 {
		return freezer.EINVALID
	}
	return freezer.EINTERNAL
}
