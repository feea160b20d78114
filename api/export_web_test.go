package api

// WebTexts exposes the page texts of a language to the tests of package api_test.
func WebTexts(lang string) map[string]string { return webTexts[lang] }
