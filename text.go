package freezer

import (
	"unicode"
	"unicode/utf8"
)

// MaxDescriptionLength bounds a product description, in characters.
const MaxDescriptionLength = 16000

// validateText rejects invalid UTF-8, control characters other than
// newlines and tabs, and text longer than max characters.
func validateText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return fieldError(field, "%s is not valid UTF-8.", field)
	}
	if utf8.RuneCountInString(s) > max {
		return fieldError(field, "%s is longer than %d characters.", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return fieldError(field, "%s contains a control character.", field)
		}
	}
	return nil
}
