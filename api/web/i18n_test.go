package web

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestTexts(t *testing.T) {
	// The server's texts: the same keys in both languages.
	keys := func(lang string) []string {
		return slices.Sorted(func(yield func(string) bool) {
			for k := range webTexts[lang] {
				if !yield(k) {
					return
				}
			}
		})
	}
	if en, fr := keys("en"), keys("fr"); !slices.Equal(en, fr) {
		t.Errorf("page texts: en and fr keys differ:\n en %v\n fr %v", en, fr)
	}
	// The dashboard's texts, read from i18n.js.
	data, err := os.ReadFile("static/app/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	en, fr, ok := strings.Cut(string(data), "\n  fr: {")
	if !ok {
		t.Fatal("i18n.js has no fr table")
	}
	key := regexp.MustCompile(`(?m)(?:^\s+|, )([a-z_0-9]+): '`)
	names := func(s string) []string {
		var list []string
		for _, m := range key.FindAllStringSubmatch(s, -1) {
			list = append(list, m[1])
		}
		slices.Sort(list)
		return list
	}
	if e, f := names(en), names(fr); !slices.Equal(e, f) || len(e) < 50 {
		t.Errorf("dashboard texts: en and fr keys differ (%d, %d):\n en %v\n fr %v", len(e), len(f), e, f)
	}
}
