package freezer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
)

// checkErr asserts that err has the code want ("" for no error) and, when
// msg is not empty, that its message contains msg.
func checkErr(t *testing.T, err error, want, msg string) {
	t.Helper()
	if got := freezer.ErrorCode(err); got != want {
		t.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
	if msg != "" {
		if got := freezer.ErrorMessage(err); !strings.Contains(got, msg) {
			t.Errorf("error message = %q, want it to contain %q", got, msg)
		}
	}
}

// validProduct returns a product that passes Validate on 2018-02-01.
func validProduct() freezer.Product {
	return freezer.Product{
		FreezerID:    1,
		Box:          1,
		Name:         "Soup",
		Description:  "Leek and potato.",
		TypeID:       1,
		Quantity:     2,
		DateIn:       date("2018-01-02"),
		PeriodMonths: 3,
	}
}

func TestProductValidate(t *testing.T) {
	today := date("2018-02-01")
	tests := []struct {
		desc   string
		modify func(p *freezer.Product)
		code   string
		msg    string
	}{
		{desc: "valid product", modify: func(p *freezer.Product) {}},
		{desc: "valid with slot", modify: func(p *freezer.Product) { p.Slot = 3 }},
		{desc: "valid with barcode", modify: func(p *freezer.Product) { p.Barcode = "4006381333931" }},
		{desc: "valid taken out today", modify: func(p *freezer.Product) { p.DateOut = today }},
		{desc: "valid date in today", modify: func(p *freezer.Product) { p.DateIn = today }},
		{desc: "valid quantity 0", modify: func(p *freezer.Product) { p.Quantity = 0 }},
		{desc: "valid max quantity", modify: func(p *freezer.Product) { p.Quantity = freezer.MaxQuantity }},
		{desc: "valid period 0", modify: func(p *freezer.Product) { p.PeriodMonths = 0 }},
		{desc: "valid max period", modify: func(p *freezer.Product) { p.PeriodMonths = freezer.MaxPeriodMonths }},
		{desc: "valid empty description", modify: func(p *freezer.Product) { p.Description = "" }},
		{desc: "valid multi-line description", modify: func(p *freezer.Product) { p.Description = "line 1\nline 2\r\n\tindented" }},
		{desc: "valid name of MaxNameLength characters", modify: func(p *freezer.Product) { p.Name = strings.Repeat("é", freezer.MaxNameLength) }},
		{desc: "valid name with spaces around", modify: func(p *freezer.Product) { p.Name = "  Soup  " }},
		{desc: "valid description of MaxDescriptionLength characters", modify: func(p *freezer.Product) { p.Description = strings.Repeat("é", freezer.MaxDescriptionLength) }},
		{desc: "valid non-Latin name", modify: func(p *freezer.Product) { p.Name = "餃子 🥟" }},

		{desc: "missing freezer", modify: func(p *freezer.Product) { p.FreezerID = 0 }, code: freezer.EINVALID, msg: "freezer_id"},
		{desc: "negative freezer", modify: func(p *freezer.Product) { p.FreezerID = -1 }, code: freezer.EINVALID, msg: "freezer_id"},
		{desc: "box 0", modify: func(p *freezer.Product) { p.Box = 0 }, code: freezer.EINVALID, msg: "box"},
		{desc: "negative box", modify: func(p *freezer.Product) { p.Box = -2 }, code: freezer.EINVALID, msg: "box"},
		{desc: "negative slot", modify: func(p *freezer.Product) { p.Slot = -1 }, code: freezer.EINVALID, msg: "slot"},
		{desc: "empty name", modify: func(p *freezer.Product) { p.Name = "" }, code: freezer.EINVALID, msg: "name"},
		{desc: "whitespace name", modify: func(p *freezer.Product) { p.Name = " \t\n " }, code: freezer.EINVALID, msg: "name"},
		{desc: "name with a line break", modify: func(p *freezer.Product) { p.Name = "soup\nBcc: x" }, code: freezer.EINVALID, msg: "one line"},
		{desc: "name one character too long", modify: func(p *freezer.Product) { p.Name = strings.Repeat("é", freezer.MaxNameLength+1) }, code: freezer.EINVALID, msg: "name"},
		{desc: "name of invalid UTF-8", modify: func(p *freezer.Product) { p.Name = "Soup\xff" }, code: freezer.EINVALID, msg: "UTF-8"},
		{desc: "name with NUL", modify: func(p *freezer.Product) { p.Name = "So\x00up" }, code: freezer.EINVALID, msg: "control"},
		{desc: "name with escape", modify: func(p *freezer.Product) { p.Name = "\x1b[31mSoup" }, code: freezer.EINVALID, msg: "control"},
		{desc: "name with DEL", modify: func(p *freezer.Product) { p.Name = "Soup\x7f" }, code: freezer.EINVALID, msg: "control"},
		{desc: "name with C1 control", modify: func(p *freezer.Product) { p.Name = "Soup\u0085" }, code: freezer.EINVALID, msg: "control"},
		{desc: "description one character too long", modify: func(p *freezer.Product) { p.Description = strings.Repeat("é", freezer.MaxDescriptionLength+1) }, code: freezer.EINVALID, msg: "description"},
		{desc: "description of invalid UTF-8", modify: func(p *freezer.Product) { p.Description = "\xc3" }, code: freezer.EINVALID, msg: "description"},
		{desc: "description with bell", modify: func(p *freezer.Product) { p.Description = "ding\a" }, code: freezer.EINVALID, msg: "description"},
		{desc: "missing type", modify: func(p *freezer.Product) { p.TypeID = 0 }, code: freezer.EINVALID, msg: "type_id"},
		{desc: "negative quantity", modify: func(p *freezer.Product) { p.Quantity = -1 }, code: freezer.EINVALID, msg: "quantity"},
		{desc: "quantity above max", modify: func(p *freezer.Product) { p.Quantity = freezer.MaxQuantity + 1 }, code: freezer.EINVALID, msg: "quantity"},
		{desc: "negative period", modify: func(p *freezer.Product) { p.PeriodMonths = -1 }, code: freezer.EINVALID, msg: "period_months"},
		{desc: "period above max", modify: func(p *freezer.Product) { p.PeriodMonths = freezer.MaxPeriodMonths + 1 }, code: freezer.EINVALID, msg: "period_months"},
		{desc: "bad barcode", modify: func(p *freezer.Product) { p.Barcode = "4006381333932" }, code: freezer.EINVALID, msg: "barcode"},
		{desc: "missing date in", modify: func(p *freezer.Product) { p.DateIn = freezer.Date{} }, code: freezer.EINVALID, msg: "date_in"},
		{desc: "date in tomorrow", modify: func(p *freezer.Product) { p.DateIn = today.AddDays(1) }, code: freezer.EINVALID, msg: "date_in"},
		{desc: "date out before date in", modify: func(p *freezer.Product) { p.DateOut = p.DateIn.AddDays(-1) }, code: freezer.EINVALID, msg: "date_out"},
		{desc: "date out tomorrow", modify: func(p *freezer.Product) { p.DateOut = today.AddDays(1) }, code: freezer.EINVALID, msg: "date_out"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			p := validProduct()
			tt.modify(&p)
			checkErr(t, p.Validate(today), tt.code, tt.msg)
		})
	}
}

func TestValidateDates(t *testing.T) {
	tests := []struct {
		desc    string
		dateIn  string // "" is the zero Date
		dateOut string // "" is the zero Date
		today   string
		code    string
		msg     string
	}{
		{desc: "in the past, inside", dateIn: "2018-01-02", today: "2018-02-01"},
		{desc: "date in today", dateIn: "2018-02-01", today: "2018-02-01"},
		{desc: "date in yesterday", dateIn: "2018-01-31", today: "2018-02-01"},
		{desc: "date in tomorrow", dateIn: "2018-02-02", today: "2018-02-01", code: freezer.EINVALID, msg: "date_in"},
		{desc: "date in next year", dateIn: "2019-01-01", today: "2018-12-31", code: freezer.EINVALID, msg: "date_in"},
		{desc: "date in missing", today: "2018-02-01", code: freezer.EINVALID, msg: "date_in"},
		{desc: "date in missing with date out", dateOut: "2018-01-02", today: "2018-02-01", code: freezer.EINVALID, msg: "date_in"},
		{desc: "out same day as in", dateIn: "2018-01-02", dateOut: "2018-01-02", today: "2018-02-01"},
		{desc: "out today", dateIn: "2018-01-02", dateOut: "2018-02-01", today: "2018-02-01"},
		{desc: "in and out today", dateIn: "2018-02-01", dateOut: "2018-02-01", today: "2018-02-01"},
		{desc: "out between in and today", dateIn: "2018-01-02", dateOut: "2018-01-15", today: "2018-02-01"},
		{desc: "out before in", dateIn: "2018-01-02", dateOut: "2018-01-01", today: "2018-02-01", code: freezer.EINVALID, msg: "date_out cannot be before"},
		{desc: "out tomorrow", dateIn: "2018-01-02", dateOut: "2018-02-02", today: "2018-02-01", code: freezer.EINVALID, msg: "date_out cannot be in the future"},
		{desc: "in on leap day, today", dateIn: "2024-02-29", today: "2024-02-29"},
		{desc: "in on leap day, today before", dateIn: "2024-02-29", today: "2024-02-28", code: freezer.EINVALID, msg: "date_in"},
	}
	opt := func(s string) freezer.Date {
		if s == "" {
			return freezer.Date{}
		}
		return date(s)
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidateDates(opt(tt.dateIn), opt(tt.dateOut), date(tt.today)), tt.code, tt.msg)
		})
	}
}

func TestCheckBox(t *testing.T) {
	archived := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		desc        string
		box, number int
		archived    *time.Time
		code        string
	}{
		{desc: "first box", box: 1, number: 5},
		{desc: "last box", box: 5, number: 5},
		{desc: "middle box", box: 3, number: 5},
		{desc: "single box", box: 1, number: 1},
		{desc: "box 0", box: 0, number: 5, code: freezer.EINVALID},
		{desc: "negative box", box: -1, number: 5, code: freezer.EINVALID},
		{desc: "box above number", box: 6, number: 5, code: freezer.EINVALID},
		{desc: "freezer with no box", box: 1, number: 0, code: freezer.EINVALID},
		{desc: "archived freezer", box: 1, number: 5, archived: &archived, code: freezer.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := freezer.CheckBox(&freezer.Freezer{ID: 1, NumberBoxes: tt.number, ArchivedAt: tt.archived}, tt.box)
			checkErr(t, err, tt.code, "")
			if err != nil && freezer.ErrorReason(err) != freezer.ReasonBoxUnavailable {
				t.Errorf("reason = %q, want %q", freezer.ErrorReason(err), freezer.ReasonBoxUnavailable)
			}
		})
	}
}

func TestValidateBarcode(t *testing.T) {
	tests := []struct {
		desc string
		code string
		want string
		msg  string
	}{
		{desc: "empty is allowed", code: ""},
		{desc: "valid EAN-13", code: "4006381333931"},
		{desc: "valid EAN-13 with check digit 0", code: "5901234123457"},
		{desc: "valid EAN-8", code: "96385074"},
		{desc: "valid EAN-8 (2)", code: "40170725"},
		{desc: "valid UPC-A", code: "036000291452"},
		{desc: "valid UPC-A (2)", code: "012345678905"},
		{desc: "EAN-13 wrong check digit", code: "4006381333932", want: freezer.EINVALID, msg: "check digit"},
		{desc: "EAN-13 swapped digits", code: "4006381339331", want: freezer.EINVALID, msg: "check digit"},
		{desc: "EAN-8 wrong check digit", code: "96385075", want: freezer.EINVALID, msg: "check digit"},
		{desc: "UPC-A wrong check digit", code: "036000291453", want: freezer.EINVALID, msg: "check digit"},
		{desc: "letter in EAN-13", code: "400638133393A", want: freezer.EINVALID, msg: "digits"},
		{desc: "letter in EAN-8", code: "9638507X", want: freezer.EINVALID, msg: "digits"},
		{desc: "space in UPC-A", code: "03600029145 ", want: freezer.EINVALID, msg: "digits"},
		{desc: "dash in EAN-13", code: "400638-333931", want: freezer.EINVALID, msg: "digits"},
		{desc: "length 7", code: "9638507", want: freezer.EINVALID, msg: "8, 12 or 13"},
		{desc: "length 9", code: "963850740", want: freezer.EINVALID, msg: "8, 12 or 13"},
		{desc: "length 10", code: "4006381333", want: freezer.EINVALID, msg: "8, 12 or 13"},
		{desc: "length 11", code: "03600029145", want: freezer.EINVALID, msg: "8, 12 or 13"},
		{desc: "length 14 (GTIN-14)", code: "04006381333931", want: freezer.EINVALID, msg: "8, 12 or 13"},
		{desc: "single digit", code: "0", want: freezer.EINVALID, msg: "8, 12 or 13"},
		{desc: "non-ASCII digits of 8 bytes", code: "\u0660\u0660\u0660\u0660", want: freezer.EINVALID, msg: "digits"},
		{desc: "invalid UTF-8 of 8 bytes", code: "\xff\xff\xff\xff\xff\xff\xff\xff", want: freezer.EINVALID, msg: "digits"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidateBarcode(tt.code), tt.want, tt.msg)
		})
	}
}

func TestValidateEmail(t *testing.T) {
	// 64 + 1 + 185 + 4 = 254 bytes.
	long254 := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"
	tests := []struct {
		desc  string
		email string
		code  string
	}{
		{desc: "plain address", email: "a@b.c"},
		{desc: "usual address", email: "jane.doe@example.com"},
		{desc: "plus tag", email: "jane+freezer@example.com"},
		{desc: "subdomain", email: "jane@mail.example.co.uk"},
		{desc: "254 bytes", email: long254},
		{desc: "255 bytes", email: "a" + long254, code: freezer.EINVALID},
		{desc: "empty", email: "", code: freezer.EINVALID},
		{desc: "missing @", email: "jane.example.com", code: freezer.EINVALID},
		{desc: "missing local part", email: "@example.com", code: freezer.EINVALID},
		{desc: "missing domain", email: "jane@", code: freezer.EINVALID},
		{desc: "two @", email: "jane@doe@example.com", code: freezer.EINVALID},
		{desc: "display name", email: "Name <a@b.c>", code: freezer.EINVALID},
		{desc: "quoted display name", email: `"Jane Doe" <jane@example.com>`, code: freezer.EINVALID},
		{desc: "angle brackets only", email: "<a@b.c>", code: freezer.EINVALID},
		{desc: "leading space", email: " a@b.c", code: freezer.EINVALID},
		{desc: "trailing space", email: "a@b.c ", code: freezer.EINVALID},
		{desc: "space inside", email: "ja ne@example.com", code: freezer.EINVALID},
		{desc: "list of two", email: "a@b.c, d@e.f", code: freezer.EINVALID},
		{desc: "comment", email: "a@b.c (Jane)", code: freezer.EINVALID},
		{desc: "newline injection", email: "a@b.c\nBcc: x@y.z", code: freezer.EINVALID},
		{desc: "invalid UTF-8", email: "a\xff@b.c", code: freezer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidateEmail(tt.email), tt.code, "")
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		desc  string
		email string
		want  string
	}{
		{desc: "already normal", email: "a@b.c", want: "a@b.c"},
		{desc: "upper case", email: "Jane.Doe@Example.COM", want: "jane.doe@example.com"},
		{desc: "spaces around", email: "  a@b.c\t\n", want: "a@b.c"},
		{desc: "empty", email: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := freezer.NormalizeEmail(tt.email), tt.want; got != want {
				t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.email, got, want)
			}
		})
	}
}

func TestValidateLanguage(t *testing.T) {
	tests := []struct {
		desc string
		lang string
		code string
	}{
		{desc: "English", lang: freezer.LanguageEnglish},
		{desc: "French", lang: freezer.LanguageFrench},
		{desc: "literal en", lang: "en"},
		{desc: "literal fr", lang: "fr"},
		{desc: "empty", lang: "", code: freezer.EINVALID},
		{desc: "upper case", lang: "EN", code: freezer.EINVALID},
		{desc: "region", lang: "fr-CA", code: freezer.EINVALID},
		{desc: "unsupported", lang: "de", code: freezer.EINVALID},
		{desc: "padded", lang: " en", code: freezer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidateLanguage(tt.lang), tt.code, "")
		})
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		desc     string
		password string
		code     string
	}{
		{desc: "8 ASCII characters", password: "abcdefgh"},
		{desc: "8 two-byte characters", password: strings.Repeat("é", 8)},
		{desc: "1024 bytes", password: strings.Repeat("a", 1024)},
		{desc: "with spaces", password: "correct horse battery staple"},
		{desc: "empty", password: "", code: freezer.EINVALID},
		{desc: "7 ASCII characters", password: "abcdefg", code: freezer.EINVALID},
		{desc: "7 two-byte characters (14 bytes)", password: strings.Repeat("é", 7), code: freezer.EINVALID},
		{desc: "1025 bytes", password: strings.Repeat("a", 1025), code: freezer.EINVALID},
		{desc: "513 two-byte characters (1026 bytes)", password: strings.Repeat("é", 513), code: freezer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidatePassword(tt.password), tt.code, "")
		})
	}
}

func TestUserValidate(t *testing.T) {
	tests := []struct {
		desc string
		user freezer.User
		code string
		msg  string
	}{
		{desc: "English user", user: freezer.User{Email: "a@b.c", Language: "en"}},
		{desc: "French admin", user: freezer.User{Email: "a@b.c", Language: "fr", Admin: true}},
		{desc: "disabled user is still valid", user: freezer.User{Email: "a@b.c", Language: "en", Disabled: true}},
		{desc: "missing email", user: freezer.User{Language: "en"}, code: freezer.EINVALID, msg: "email"},
		{desc: "display name in email", user: freezer.User{Email: "A <a@b.c>", Language: "en"}, code: freezer.EINVALID, msg: "email"},
		{desc: "missing language", user: freezer.User{Email: "a@b.c"}, code: freezer.EINVALID, msg: "language"},
		{desc: "unknown language", user: freezer.User{Email: "a@b.c", Language: "es"}, code: freezer.EINVALID, msg: "language"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, tt.user.Validate(), tt.code, tt.msg)
		})
	}
}

func TestFreezerValidate(t *testing.T) {
	tests := []struct {
		desc    string
		freezer freezer.Freezer
		code    string
		msg     string
	}{
		{desc: "valid", freezer: freezer.Freezer{HouseholdID: 1, Name: "Garage", NumberBoxes: 6}},
		{desc: "one box", freezer: freezer.Freezer{HouseholdID: 1, Name: "Garage", NumberBoxes: 1}},
		{desc: "max boxes", freezer: freezer.Freezer{HouseholdID: 1, Name: "Garage", NumberBoxes: freezer.MaxBoxes}},
		{desc: "name of 200 characters", freezer: freezer.Freezer{HouseholdID: 1, Name: strings.Repeat("é", 200), NumberBoxes: 1}},
		{desc: "missing household", freezer: freezer.Freezer{Name: "Garage", NumberBoxes: 6}, code: freezer.EINVALID, msg: "household_id"},
		{desc: "negative household", freezer: freezer.Freezer{HouseholdID: -1, Name: "Garage", NumberBoxes: 6}, code: freezer.EINVALID, msg: "household_id"},
		{desc: "empty name", freezer: freezer.Freezer{HouseholdID: 1, NumberBoxes: 6}, code: freezer.EINVALID, msg: "name"},
		{desc: "whitespace name", freezer: freezer.Freezer{HouseholdID: 1, Name: "   ", NumberBoxes: 6}, code: freezer.EINVALID, msg: "name"},
		{desc: "name one character too long", freezer: freezer.Freezer{HouseholdID: 1, Name: strings.Repeat("é", freezer.MaxNameLength+1), NumberBoxes: 1}, code: freezer.EINVALID, msg: "name"},
		{desc: "name with control character", freezer: freezer.Freezer{HouseholdID: 1, Name: "Gar\x00age", NumberBoxes: 1}, code: freezer.EINVALID, msg: "name"},
		{desc: "zero boxes", freezer: freezer.Freezer{HouseholdID: 1, Name: "Garage"}, code: freezer.EINVALID, msg: "number_boxes"},
		{desc: "negative boxes", freezer: freezer.Freezer{HouseholdID: 1, Name: "Garage", NumberBoxes: -3}, code: freezer.EINVALID, msg: "number_boxes"},
		{desc: "too many boxes", freezer: freezer.Freezer{HouseholdID: 1, Name: "Garage", NumberBoxes: freezer.MaxBoxes + 1}, code: freezer.EINVALID, msg: "number_boxes"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, tt.freezer.Validate(), tt.code, tt.msg)
		})
	}
}

func TestValidateNumberBoxes(t *testing.T) {
	tests := []struct {
		desc string
		n    int
		code string
	}{
		{desc: "one", n: 1},
		{desc: "max", n: freezer.MaxBoxes},
		{desc: "zero", n: 0, code: freezer.EINVALID},
		{desc: "negative", n: -1, code: freezer.EINVALID},
		{desc: "above max", n: freezer.MaxBoxes + 1, code: freezer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidateNumberBoxes(tt.n), tt.code, "")
		})
	}
}

func TestHouseholdValidate(t *testing.T) {
	tests := []struct {
		desc      string
		household freezer.Household
		code      string
		msg       string
	}{
		{desc: "valid", household: freezer.Household{Name: "Home", DueSoonDays: freezer.DefaultDueSoonDays}},
		{desc: "due soon 0", household: freezer.Household{Name: "Home", DueSoonDays: 0}},
		{desc: "due soon 366", household: freezer.Household{Name: "Home", DueSoonDays: 366}},
		{desc: "accented name", household: freezer.Household{Name: "Maison de campagne à Sète", DueSoonDays: 7}},
		{desc: "empty name", household: freezer.Household{DueSoonDays: 14}, code: freezer.EINVALID, msg: "name"},
		{desc: "whitespace name", household: freezer.Household{Name: "\t", DueSoonDays: 14}, code: freezer.EINVALID, msg: "name"},
		{desc: "name one character too long", household: freezer.Household{Name: strings.Repeat("é", freezer.MaxNameLength+1), DueSoonDays: 14}, code: freezer.EINVALID, msg: "name"},
		{desc: "invalid UTF-8 name", household: freezer.Household{Name: "Home\xff", DueSoonDays: 14}, code: freezer.EINVALID, msg: "name"},
		{desc: "negative due soon", household: freezer.Household{Name: "Home", DueSoonDays: -1}, code: freezer.EINVALID, msg: "due_soon_days"},
		{desc: "due soon 367", household: freezer.Household{Name: "Home", DueSoonDays: 367}, code: freezer.EINVALID, msg: "due_soon_days"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, tt.household.Validate(), tt.code, tt.msg)
		})
	}
}

func TestProductTypeValidate(t *testing.T) {
	tests := []struct {
		desc string
		typ  freezer.ProductType
		code string
		msg  string
	}{
		{desc: "valid", typ: freezer.ProductType{NameEN: "Meat", NameFR: "Viande"}},
		{desc: "missing English name", typ: freezer.ProductType{NameFR: "Viande"}, code: freezer.EINVALID, msg: "name_en"},
		{desc: "missing French name", typ: freezer.ProductType{NameEN: "Meat"}, code: freezer.EINVALID, msg: "name_fr"},
		{desc: "French name too long", typ: freezer.ProductType{NameEN: "Meat", NameFR: strings.Repeat("é", freezer.MaxNameLength+1)}, code: freezer.EINVALID, msg: "name_fr"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, tt.typ.Validate(), tt.code, tt.msg)
		})
	}
}

func TestDeviceValidate(t *testing.T) {
	valid := func() freezer.Device {
		return freezer.Device{ID: "dev-1", Kind: freezer.DeviceScanner, HouseholdID: 1, Name: "Garage door", Mode: freezer.ModeIn}
	}
	tests := []struct {
		desc   string
		modify func(d *freezer.Device)
		code   string
		msg    string
	}{
		{desc: "valid scanner", modify: func(d *freezer.Device) {}},
		{desc: "valid integration", modify: func(d *freezer.Device) { d.Kind, d.Mode = freezer.DeviceIntegration, "" }},
		{desc: "integration with a mode", modify: func(d *freezer.Device) { d.Kind = freezer.DeviceIntegration }, code: freezer.EINVALID, msg: "no scan mode"},
		{desc: "mode discard", modify: func(d *freezer.Device) { d.Mode = freezer.ModeDiscard }},
		{desc: "mode out", modify: func(d *freezer.Device) { d.Mode = freezer.ModeOut }},
		{desc: "mode move", modify: func(d *freezer.Device) { d.Mode = freezer.ModeMove }},
		{desc: "bound to a freezer", modify: func(d *freezer.Device) { id := int64(3); d.FreezerID = &id }},
		{desc: "empty kind", modify: func(d *freezer.Device) { d.Kind = "" }, code: freezer.EINVALID, msg: "kind"},
		{desc: "unknown kind", modify: func(d *freezer.Device) { d.Kind = "printer" }, code: freezer.EINVALID, msg: "kind"},
		{desc: "kind in upper case", modify: func(d *freezer.Device) { d.Kind = "Scanner" }, code: freezer.EINVALID, msg: "kind"},
		{desc: "missing household", modify: func(d *freezer.Device) { d.HouseholdID = 0 }, code: freezer.EINVALID, msg: "household_id"},
		{desc: "empty name", modify: func(d *freezer.Device) { d.Name = "" }, code: freezer.EINVALID, msg: "name"},
		{desc: "name with control character", modify: func(d *freezer.Device) { d.Name = "door\x07" }, code: freezer.EINVALID, msg: "name"},
		{desc: "empty mode", modify: func(d *freezer.Device) { d.Mode = "" }, code: freezer.EINVALID, msg: "mode"},
		{desc: "unknown mode", modify: func(d *freezer.Device) { d.Mode = "delete" }, code: freezer.EINVALID, msg: "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			d := valid()
			tt.modify(&d)
			checkErr(t, d.Validate(), tt.code, tt.msg)
		})
	}
}

func TestValidateMode(t *testing.T) {
	tests := []struct {
		desc string
		mode string
		code string
	}{
		{desc: "in", mode: freezer.ModeIn},
		{desc: "out", mode: freezer.ModeOut},
		{desc: "move", mode: freezer.ModeMove},
		{desc: "empty", mode: "", code: freezer.EINVALID},
		{desc: "upper case", mode: "IN", code: freezer.EINVALID},
		{desc: "padded", mode: "in ", code: freezer.EINVALID},
		{desc: "unknown", mode: "swap", code: freezer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkErr(t, freezer.ValidateMode(tt.mode), tt.code, "")
		})
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	appErr := freezer.Errorf(freezer.ENOTFOUND, "Product %d not found.", 7)
	tests := []struct {
		desc     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{desc: "nil", err: nil, wantCode: "", wantMsg: ""},
		{desc: "application error", err: appErr, wantCode: freezer.ENOTFOUND, wantMsg: "Product 7 not found."},
		{desc: "literal application error", err: &freezer.Error{Code: freezer.ECONFLICT, Message: "Slot taken."}, wantCode: freezer.ECONFLICT, wantMsg: "Slot taken."},
		{desc: "wrapped with %w", err: fmt.Errorf("update product: %w", appErr), wantCode: freezer.ENOTFOUND, wantMsg: "Product 7 not found."},
		{desc: "wrapped twice", err: fmt.Errorf("api: %w", fmt.Errorf("db: %w", appErr)), wantCode: freezer.ENOTFOUND, wantMsg: "Product 7 not found."},
		{desc: "joined", err: errors.Join(errors.New("other"), appErr), wantCode: freezer.ENOTFOUND, wantMsg: "Product 7 not found."},
		{desc: "formatted with %v loses the code", err: fmt.Errorf("db: %v", appErr), wantCode: freezer.EINTERNAL, wantMsg: "Internal error."},
		{desc: "plain error", err: errors.New("sql: connection refused at 10.0.0.1"), wantCode: freezer.EINTERNAL, wantMsg: "Internal error."},
		{desc: "context error", err: context.Canceled, wantCode: freezer.EINTERNAL, wantMsg: "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := freezer.ErrorCode(tt.err), tt.wantCode; got != want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, want)
			}
			if got, want := freezer.ErrorMessage(tt.err), tt.wantMsg; got != want {
				t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, want)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	tests := []struct {
		desc     string
		err      *freezer.Error
		wantCode string
		wantMsg  string
		wantText string
	}{
		{desc: "no arguments", err: freezer.Errorf(freezer.EINVALID, "name is required."), wantCode: freezer.EINVALID, wantMsg: "name is required.",
			wantText: "freezer error: code=EINVALID message=name is required."},
		{desc: "with arguments", err: freezer.Errorf(freezer.EINVALID, "box must be between 1 and %d.", 6), wantCode: freezer.EINVALID, wantMsg: "box must be between 1 and 6.",
			wantText: "freezer error: code=EINVALID message=box must be between 1 and 6."},
		{desc: "percent in argument is kept", err: freezer.Errorf(freezer.EFORBIDDEN, "%s", "100%"), wantCode: freezer.EFORBIDDEN, wantMsg: "100%",
			wantText: "freezer error: code=EFORBIDDEN message=100%"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := tt.err.Code, tt.wantCode; got != want {
				t.Errorf("Code = %q, want %q", got, want)
			}
			if got, want := tt.err.Message, tt.wantMsg; got != want {
				t.Errorf("Message = %q, want %q", got, want)
			}
			if got, want := tt.err.Error(), tt.wantText; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestProductUpdateApply(t *testing.T) {
	created := time.Date(2018, 1, 2, 10, 0, 0, 0, time.UTC)
	base := func() freezer.Product {
		return freezer.Product{
			ID: 42, HouseholdID: 7, FreezerID: 1, Box: 2, Slot: 3,
			Name: "Soup", Description: "Leek.", TypeID: 4, Quantity: 2,
			Barcode: "4006381333931", DateIn: date("2018-01-02"), PeriodMonths: 3,
			Version: 5, CreatedAt: created, UpdatedAt: created,
		}
	}
	str := func(s string) *string { return &s }
	i64 := func(n int64) *int64 { return &n }
	num := func(n int) *int { return &n }
	day := func(d freezer.Date) *freezer.Date { return &d }
	tests := []struct {
		desc   string
		upd    freezer.ProductUpdate
		modify func(p *freezer.Product) // the expected change on base()
	}{
		{desc: "empty update changes nothing", upd: freezer.ProductUpdate{}, modify: func(p *freezer.Product) {}},
		{desc: "version alone changes nothing", upd: freezer.ProductUpdate{Version: 9}, modify: func(p *freezer.Product) {}},
		{desc: "name", upd: freezer.ProductUpdate{Name: str("Stew")}, modify: func(p *freezer.Product) { p.Name = "Stew" }},
		{desc: "empty name is applied", upd: freezer.ProductUpdate{Name: str("")}, modify: func(p *freezer.Product) { p.Name = "" }},
		{desc: "description", upd: freezer.ProductUpdate{Description: str("")}, modify: func(p *freezer.Product) { p.Description = "" }},
		{desc: "type", upd: freezer.ProductUpdate{TypeID: i64(9)}, modify: func(p *freezer.Product) { p.TypeID = 9 }},
		{desc: "quantity 0 is applied", upd: freezer.ProductUpdate{Quantity: num(0)}, modify: func(p *freezer.Product) { p.Quantity = 0 }},
		{desc: "barcode cleared", upd: freezer.ProductUpdate{Barcode: str("")}, modify: func(p *freezer.Product) { p.Barcode = "" }},
		{desc: "date in", upd: freezer.ProductUpdate{DateIn: day(date("2017-12-31"))}, modify: func(p *freezer.Product) { p.DateIn = date("2017-12-31") }},
		{desc: "take out", upd: freezer.ProductUpdate{DateOut: day(date("2018-01-20"))}, modify: func(p *freezer.Product) {
			p.DateOut, p.Outcome = date("2018-01-20"), freezer.OutcomeEaten
		}},
		{desc: "take out as thrown away", upd: freezer.ProductUpdate{DateOut: day(date("2018-01-20")), Outcome: str(freezer.OutcomeDiscarded)},
			modify: func(p *freezer.Product) { p.DateOut, p.Outcome = date("2018-01-20"), freezer.OutcomeDiscarded }},
		{desc: "an outcome for a product inside is dropped", upd: freezer.ProductUpdate{Outcome: str(freezer.OutcomeDiscarded)}, modify: func(p *freezer.Product) {}},
		{desc: "period", upd: freezer.ProductUpdate{PeriodMonths: num(12)}, modify: func(p *freezer.Product) { p.PeriodMonths = 12 }},
		{desc: "move", upd: freezer.ProductUpdate{FreezerID: i64(2), Box: num(5), Slot: num(1)},
			modify: func(p *freezer.Product) { p.FreezerID, p.Box, p.Slot = 2, 5, 1 }},
		{desc: "several fields", upd: freezer.ProductUpdate{Name: str("Stew"), Quantity: num(4), PeriodMonths: num(6)},
			modify: func(p *freezer.Product) { p.Name, p.Quantity, p.PeriodMonths = "Stew", 4, 6 }},
		{desc: "every field", upd: freezer.ProductUpdate{
			Name: str("Stew"), Description: str("Beef."), TypeID: i64(8), Quantity: num(6), Barcode: str("96385074"),
			DateIn: day(date("2018-01-01")), DateOut: day(date("2018-01-15")), PeriodMonths: num(1),
			FreezerID: i64(3), Box: num(1), Slot: num(9), Version: 5,
		}, modify: func(p *freezer.Product) {
			p.Name, p.Description, p.TypeID, p.Quantity, p.Barcode = "Stew", "Beef.", 8, 6, "96385074"
			p.DateIn, p.DateOut, p.PeriodMonths, p.Outcome = date("2018-01-01"), date("2018-01-15"), 1, freezer.OutcomeEaten
			p.FreezerID, p.Box, p.Slot = 3, 1, 9
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, want := base(), base()
			tt.upd.Apply(&got)
			tt.modify(&want)
			if got != want {
				t.Errorf("Apply:\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

func TestProductUpdateApplyPutBack(t *testing.T) {
	tests := []struct {
		desc       string
		dateOut    *freezer.Date
		wantInside bool
	}{
		{desc: "nil date out keeps it out", dateOut: nil, wantInside: false},
		{desc: "zero date out puts it back", dateOut: &freezer.Date{}, wantInside: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			p := validProduct()
			p.DateOut = date("2018-01-20")
			freezer.ProductUpdate{DateOut: tt.dateOut}.Apply(&p)
			if got, want := p.Inside(), tt.wantInside; got != want {
				t.Errorf("Inside() = %v, want %v", got, want)
			}
		})
	}
}

func TestProductUpdateApplyDoesNotAlias(t *testing.T) {
	tests := []struct {
		desc string
		name string
	}{
		{desc: "later change to the update's value does not reach the product", name: "Stew"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			name := tt.name
			p := validProduct()
			freezer.ProductUpdate{Name: &name}.Apply(&p)
			name = "changed"
			if got, want := p.Name, tt.name; got != want {
				t.Errorf("Name = %q, want %q", got, want)
			}
		})
	}
}

func TestActorFromContext(t *testing.T) {
	tests := []struct {
		desc string
		ctx  context.Context
		want freezer.Actor
	}{
		{desc: "no actor", ctx: context.Background(), want: freezer.Actor{Kind: freezer.ActorNone}},
		{desc: "system", ctx: freezer.SystemContext(context.Background()), want: freezer.Actor{Kind: freezer.ActorSystem}},
		{desc: "user", ctx: freezer.NewContextWithUser(context.Background(), &freezer.User{ID: 3}), want: freezer.Actor{Kind: freezer.ActorUser, UserID: 3}},
		{desc: "admin user", ctx: freezer.NewContextWithUser(context.Background(), &freezer.User{ID: 4, Admin: true}), want: freezer.Actor{Kind: freezer.ActorUser, UserID: 4, Admin: true}},
		{desc: "device", ctx: freezer.NewContextWithActor(context.Background(), freezer.Actor{Kind: freezer.ActorDevice, DeviceID: "d1", HouseholdID: 2}),
			want: freezer.Actor{Kind: freezer.ActorDevice, DeviceID: "d1", HouseholdID: 2}},
		{desc: "inner actor wins", ctx: freezer.SystemContext(freezer.NewContextWithUser(context.Background(), &freezer.User{ID: 3})), want: freezer.Actor{Kind: freezer.ActorSystem}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got, want := freezer.ActorFromContext(tt.ctx), tt.want; got != want {
				t.Errorf("ActorFromContext = %+v, want %+v", got, want)
			}
		})
	}
}
