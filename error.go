package freezer

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer; the HTTP layer maps each to one status.
const (
	ECONFLICT     = "ECONFLICT"     // the action conflicts with the current state (duplicate, slot taken, stale version)
	EINTERNAL     = "EINTERNAL"     // an unexpected failure; the message is not shown to clients
	EINVALID      = "EINVALID"      // the input is invalid
	ENOTFOUND     = "ENOTFOUND"     // the object does not exist or is not visible to the caller
	EUNAUTHORIZED = "EUNAUTHORIZED" // no valid credentials
	EFORBIDDEN    = "EFORBIDDEN"    // valid credentials without the right to act
)

// Error is an application error with a code from the list above and a
// message safe to show to the client.
type Error struct {
	Code    string
	Message string
	// Field names the input at fault ("box", "date_in", …), when one is:
	// clients point at it, and the legacy API picks its error text by it.
	Field string
	// Reason tells which rule of a product's life refused (ReasonAlreadyOut, …), when one did.
	Reason string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("freezer error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error inside err, EINTERNAL for any
// other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error inside err, and a generic
// text for any other error so that internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// FieldErrorf returns an *Error with the given code about the input field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Field = field
	return e
}

// fieldError returns an EINVALID *Error about field.
func fieldError(field, format string, args ...any) *Error {
	return FieldErrorf(EINVALID, field, format, args...)
}

// ErrorField returns the Field of the *Error inside err, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorReason returns the Reason of the *Error inside err, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
