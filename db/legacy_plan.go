package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	freezer "github.com/freezer-manager/freezer"
)

// applies the plan. The report comes from the plan, so that a dry run
// reports exactly what the import would do.
type importer struct {
	ctx    context.Context
	tx     *Tx
	today  freezer.Date
	src    *legacyData
	report *ImportReport

	typeIDs     map[int64]bool // types a product may use
	newTypes    []*freezer.ProductType
	users       map[string]*importUser // importable users by legacy token
	userSkips   map[string]string      // why a user was skipped, by legacy token
	newUsers    []*importUser
	freezers    map[int64]*importFreezer // importable freezers (new or present)
	freezerSkip map[int64]string         // why a freezer is not imported
	conflicted  map[int64][]*importUser  // the owners of freezers in conflict
	newFreezers []*importFreezer
	newProducts []*importProduct
	slots       map[slotKey]int64 // the product inside each place
}

type importUser struct {
	legacy      legacyUser
	email       string
	language    string
	id          int64          // 0 until created
	householdID int64          // where new freezers go; 0 until known
	households  map[int64]bool // a present user's households
}

type importFreezer struct {
	freezer.Freezer
	owner  *importUser   // whose household a new freezer goes to
	owners []*importUser // every listed importable user
}

type importProduct struct {
	freezer.Product
	freezer *importFreezer
}

type slotKey struct {
	freezer   int64
	box, slot int
}

func newImporter(ctx context.Context, tx *Tx, src *legacyData, dryRun bool) *importer {
	return &importer{
		ctx: ctx, tx: tx, today: tx.db.today(), src: src,
		report: &ImportReport{DryRun: dryRun, FreezerTable: src.freezerTable,
			Skipped: []ImportIssue{}, Conflicts: []ImportIssue{}, Warnings: []ImportIssue{}},
		typeIDs: map[int64]bool{}, users: map[string]*importUser{}, userSkips: map[string]string{},
		freezers: map[int64]*importFreezer{}, freezerSkip: map[int64]string{}, conflicted: map[int64][]*importUser{},
		slots: map[slotKey]int64{},
	}
}

func (im *importer) plan() error {
	if err := im.planTypes(); err != nil {
		return err
	}
	if err := im.planUsers(); err != nil {
		return err
	}
	if err := im.planFreezers(); err != nil {
		return err
	}
	return im.planProducts()
}

func (im *importer) skip(kind string, id int64, format string, args ...any) {
	im.report.Skipped = append(im.report.Skipped, ImportIssue{Kind: kind, LegacyID: id, Reason: fmt.Sprintf(format, args...)})
}

func (im *importer) warn(kind string, id int64, format string, args ...any) {
	im.report.Warnings = append(im.report.Warnings, ImportIssue{Kind: kind, LegacyID: id, Reason: fmt.Sprintf(format, args...)})
}

func (im *importer) conflict(kind string, id int64, format string, args ...any) {
	im.report.Conflicts = append(im.report.Conflicts, ImportIssue{Kind: kind, LegacyID: id, Reason: fmt.Sprintf(format, args...)})
}

// planTypes adds the legacy types whose id is free; an id that exists
// keeps our names, and different legacy names are reported.
func (im *importer) planTypes() error {
	existing := map[int64]freezer.ProductType{}
	err := scanAll(im.ctx, im.tx, "SELECT id, name_en, name_fr FROM product_types", func(r *sql.Rows) error {
		var t freezer.ProductType
		err := r.Scan(&t.ID, &t.NameEN, &t.NameFR)
		existing[t.ID], im.typeIDs[t.ID] = t, true
		return err
	})
	if err != nil {
		return translateError(err)
	}
	for _, lt := range im.src.types {
		im.report.Found.Types++
		en, _ := cleanText(lt.nameEN, true)
		fr, _ := cleanText(lt.nameFR, true)
		if ours, ok := existing[lt.id]; ok {
			im.report.AlreadyPresent.Types++
			if ours.NameEN != en || ours.NameFR != fr {
				im.warn(ImportKindType, lt.id, "type %d exists as %q / %q: kept those names, not the legacy %q / %q", lt.id, ours.NameEN, ours.NameFR, en, fr)
			}
			continue
		}
		t := &freezer.ProductType{ID: lt.id, NameEN: en, NameFR: fr}
		if lt.id < 1 {
			im.skip(ImportKindType, lt.id, "the id must be 1 or more")
			continue
		}
		if err := t.Validate(); err != nil {
			im.skip(ImportKindType, lt.id, "%s", freezer.ErrorMessage(err))
			continue
		}
		im.newTypes, im.typeIDs[t.ID] = append(im.newTypes, t), true
		im.report.Imported.Types++
	}
	return nil
}

// planUsers recognises users imported before by their token, and skips
// users whose e-mail is invalid, already registered, or shared.
func (im *importer) planUsers() error {
	candidates := map[string]int{} // normalised e-mail → legacy users not yet imported
	present := map[string]*importUser{}
	for _, lu := range im.src.users {
		var userID int64
		err := sql.ErrNoRows
		if lu.token != "" {
			err = im.tx.QueryRowContext(im.ctx, "SELECT user_id FROM tokens WHERE hash = ?", hashToken(lu.token)).Scan(&userID)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			candidates[freezer.NormalizeEmail(lu.email)]++
		case err != nil:
			return translateError(err)
		default:
			u, err := im.presentUser(lu, userID)
			if err != nil {
				return err
			}
			present[lu.token] = u
		}
	}
	for _, lu := range im.src.users {
		im.report.Found.Users++
		if u := present[lu.token]; u != nil {
			im.users[lu.token] = u
			im.report.AlreadyPresent.Users++
			continue
		}
		email := freezer.NormalizeEmail(lu.email)
		reason := ""
		switch {
		case lu.token == "":
			reason = "the token is empty"
		case email == "":
			reason = "the e-mail address is empty"
		case freezer.ValidateEmail(email) != nil:
			reason = "the e-mail address is not valid"
		case candidates[email] > 1:
			reason = fmt.Sprintf("the e-mail address %s belongs to %d legacy users", email, candidates[email])
		}
		if reason == "" {
			var id int64
			err := im.tx.QueryRowContext(im.ctx, "SELECT id FROM users WHERE email = ?", email).Scan(&id)
			if err == nil {
				reason = fmt.Sprintf("the e-mail address %s is already registered", email)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return translateError(err)
			}
		}
		if reason != "" {
			im.userSkips[lu.token] = reason
			im.report.Skipped = append(im.report.Skipped, ImportIssue{Kind: ImportKindUser, Email: lu.email, Token: tokenHint(lu.token), Reason: reason})
			continue
		}
		u := &importUser{legacy: lu, email: email, language: legacyLanguage(lu.language)}
		im.users[lu.token], im.newUsers = u, append(im.newUsers, u)
		im.report.Imported.Users++
	}
	return nil
}

// presentUser loads an imported user's households; new freezers go to the
// first one they own.
func (im *importer) presentUser(lu legacyUser, id int64) (*importUser, error) {
	u := &importUser{legacy: lu, email: freezer.NormalizeEmail(lu.email), id: id, households: map[int64]bool{}}
	err := scanAll(im.ctx, im.tx, "SELECT household_id, role FROM memberships WHERE user_id = ? ORDER BY household_id", func(r *sql.Rows) error {
		var h int64
		var role string
		err := r.Scan(&h, &role)
		u.households[h] = true
		if u.householdID == 0 && role == freezer.RoleOwner {
			u.householdID = h
		}
		return err
	}, id)
	return u, translateError(err)
}

// legacyLanguage maps the legacy free-text language to en or fr.
func legacyLanguage(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fr", "french", "français", "francais":
		return freezer.LanguageFrench
	}
	return freezer.LanguageEnglish
}

// tokenHint shows enough of a token to find it, and never the whole secret.
func tokenHint(token string) string {
	n := min(8, utf8.RuneCountInString(token)/2)
	return string([]rune(token)[:n]) + "…"
}

// planFreezers gives each freezer to its owner's household, recognising
// freezers imported before.
func (im *importer) planFreezers() error {
	for _, lf := range im.src.freezers {
		im.report.Found.Freezers++
		var owners []*importUser
		for _, token := range lf.owners {
			if u := im.users[token]; u != nil {
				owners = append(owners, u)
			}
		}
		reason := ""
		switch {
		case lf.id < 1:
			reason = "the id must be 1 or more"
		case len(lf.owners) == 0 && lf.unknown == 0:
			reason = fmt.Sprintf("no user owns it (no row in %s)", im.src.freezerTable)
		case len(lf.owners) == 0:
			reason = "its owner is not a legacy user"
		case len(owners) == 0:
			reason = "its owner was skipped: " + im.userSkips[lf.owners[0]]
		}
		if reason != "" {
			im.freezerSkip[lf.id] = reason
			im.skip(ImportKindFreezer, lf.id, "%s", reason)
			continue
		}
		shared := func() {
			if len(lf.owners) > 1 {
				im.warn(ImportKindFreezer, lf.id, "listed for %d users: it goes to the household of %s only; invite the others to share it", len(lf.owners), owners[0].email)
			}
		}
		if done, err := im.presentFreezer(lf.id, owners); err != nil {
			return err
		} else if done {
			if im.freezers[lf.id] != nil {
				shared()
			}
			continue
		}
		name, renamed := cleanText(lf.name, true)
		if strings.TrimSpace(name) == "" {
			name, renamed = fmt.Sprintf("Freezer %d", lf.id), true
		}
		f := &importFreezer{Freezer: freezer.Freezer{ID: lf.id, Name: name, NumberBoxes: int(lf.numberBoxes)}, owner: owners[0], owners: owners}
		check := f.Freezer
		check.HouseholdID = 1 // the household is created later; Validate needs one
		if err := check.Validate(); err != nil {
			im.freezerSkip[lf.id] = freezer.ErrorMessage(err)
			im.skip(ImportKindFreezer, lf.id, "%s", freezer.ErrorMessage(err))
			continue
		}
		shared()
		if renamed {
			im.warn(ImportKindFreezer, lf.id, "the name %q was changed to %q", lf.name, name)
		}
		im.freezers[lf.id], im.newFreezers = f, append(im.newFreezers, f)
		im.report.Imported.Freezers++
	}
	return nil
}

// presentFreezer handles a freezer id that already exists: present when it
// belongs to one of the owners' households, a conflict otherwise.
func (im *importer) presentFreezer(id int64, owners []*importUser) (bool, error) {
	list, err := findFreezers(freezer.SystemContext(im.ctx), im.tx, freezer.FreezerFilter{ID: &id, IncludeArchived: true}, false)
	if err != nil || len(list) == 0 {
		return false, err
	}
	f := &importFreezer{Freezer: *list[0], owner: owners[0], owners: owners}
	if !ownedBy(f.HouseholdID, owners) {
		im.freezerSkip[id], im.conflicted[id] = "its id is used by another household", owners
		im.conflict(ImportKindFreezer, id, "freezer %d exists in household %d, which is not its legacy owner's", id, f.HouseholdID)
		return true, nil
	}
	im.freezers[id] = f
	im.report.AlreadyPresent.Freezers++
	err = scanAll(im.ctx, im.tx, "SELECT box, slot, id FROM products WHERE freezer_id = ? AND date_out IS NULL", func(r *sql.Rows) error {
		var k slotKey
		var pid int64
		err := r.Scan(&k.box, &k.slot, &pid)
		k.freezer = id
		im.slots[k] = pid
		return err
	}, id)
	return true, translateError(err)
}

// ownedBy reports whether household h is one of the imported owners'.
func ownedBy(h int64, owners []*importUser) bool {
	return slices.ContainsFunc(owners, func(u *importUser) bool { return u.households[h] })
}

// planProducts places each product, skipping those that break a rule of
// the new schema, and recognising products imported before.
func (im *importer) planProducts() error {
	ids := make([]int64, 0, len(im.src.products))
	for _, p := range im.src.products {
		ids = append(ids, p.id)
	}
	existing, err := existingProducts(im.ctx, im.tx, ids)
	if err != nil {
		return err
	}
	for _, lp := range im.src.products {
		im.report.Found.Products++
		f := im.freezers[lp.freezerID]
		owners := im.conflicted[lp.freezerID] // the owners of a freezer in conflict, whose products may conflict too
		if f != nil {
			owners = f.owners
		}
		if h, taken := existing[lp.id]; taken && owners != nil {
			switch {
			case !ownedBy(h, owners):
				im.conflict(ImportKindProduct, lp.id, "product %d exists in household %d, which is not its legacy owner's", lp.id, h)
			case f != nil:
				im.report.AlreadyPresent.Products++
			default:
				im.skip(ImportKindProduct, lp.id, "freezer %d is not imported: %s", lp.freezerID, im.freezerSkip[lp.freezerID])
			}
			continue
		}
		if f == nil {
			if why, ok := im.freezerSkip[lp.freezerID]; ok {
				im.skip(ImportKindProduct, lp.id, "freezer %d is not imported: %s", lp.freezerID, why)
			} else {
				im.skip(ImportKindProduct, lp.id, "freezer %d does not exist", lp.freezerID)
			}
			continue
		}
		p, notes, reason := im.product(lp, f)
		if reason != "" {
			im.skip(ImportKindProduct, lp.id, "%s", reason)
			continue
		}
		if p.Inside() {
			k := slotKey{f.ID, p.Box, p.Slot}
			if other, taken := im.slots[k]; taken {
				im.skip(ImportKindProduct, lp.id, "box %d slot %d of freezer %d already holds product %d", p.Box, p.Slot, f.ID, other)
				continue
			}
			im.slots[k] = p.ID
		}
		for _, note := range notes {
			im.warn(ImportKindProduct, lp.id, "%s", note)
		}
		im.newProducts = append(im.newProducts, &importProduct{Product: *p, freezer: f})
		im.report.Imported.Products++
	}
	return nil
}

// product converts a legacy product for freezer f, with notes on what
// was changed, or says why it cannot.
func (im *importer) product(lp legacyProduct, f *importFreezer) (p *freezer.Product, notes []string, reason string) {
	if lp.id < 1 {
		return nil, nil, "the id must be 1 or more"
	}
	if !lp.descrID.Valid {
		return nil, nil, "its description (name) does not exist"
	}
	p = &freezer.Product{ID: lp.id, FreezerID: f.ID, Box: int(lp.box), Slot: int(lp.slot), TypeID: lp.typeID,
		Quantity: int(lp.qty), PeriodMonths: int(lp.period)}
	var err error
	if !lp.dateIn.Valid {
		return nil, nil, "date_in is missing"
	} else if p.DateIn, err = freezer.ParseDate(lp.dateIn.String); err != nil {
		return nil, nil, fmt.Sprintf("date_in %q is not a valid date", lp.dateIn.String)
	}
	if lp.dateOut.Valid {
		if p.DateOut, err = freezer.ParseDate(lp.dateOut.String); err != nil {
			return nil, nil, fmt.Sprintf("date_out %q is not a valid date", lp.dateOut.String)
		}
	}
	if !im.typeIDs[p.TypeID] {
		return nil, nil, fmt.Sprintf("type %d does not exist", p.TypeID)
	}
	if lp.box < 1 || lp.box > int64(f.NumberBoxes) {
		return nil, nil, fmt.Sprintf("box %d is outside boxes 1..%d of freezer %d", lp.box, f.NumberBoxes, f.ID)
	}
	if lp.slot < 1 {
		return nil, nil, fmt.Sprintf("slot %d is not 1 or more", lp.slot)
	}
	name, renamed := cleanText(lp.name, true)
	if strings.TrimSpace(name) == "" {
		name, renamed = fmt.Sprintf("Product %d", lp.id), true
	}
	if renamed {
		notes = append(notes, fmt.Sprintf("the name %q was changed to %q", lp.name, name))
	}
	descr, cleaned := cleanText(lp.descr, false)
	if cleaned {
		notes = append(notes, "control characters were removed from the description")
	}
	p.Name, p.Description = name, descr
	if err := p.Validate(im.today); err != nil {
		return nil, nil, freezer.ErrorMessage(err)
	}
	if f.ArchivedAt != nil && p.Inside() {
		return nil, nil, fmt.Sprintf("freezer %d is archived", f.ID)
	}
	return p, notes, ""
}

// existingProducts returns the household of each of ids that is already a product.
func existingProducts(ctx context.Context, q querier, ids []int64) (map[int64]int64, error) {
	found := map[int64]int64{}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		query := "SELECT id, household_id FROM products WHERE id IN (?" + strings.Repeat(", ?", len(part)-1) + ")"
		err := scanAll(ctx, q, query, func(r *sql.Rows) error {
			var id, h int64
			err := r.Scan(&id, &h)
			found[id] = h
			return err
		}, args...)
		if err != nil {
			return nil, translateError(err)
		}
	}
	return found, nil
}

// cleanText makes legacy text valid for the new schema: valid UTF-8 and no
// control characters other than newlines and tabs; in a name (oneLine),
// newlines and tabs become spaces. It reports whether the text changed.
func cleanText(s string, oneLine bool) (string, bool) {
	out := strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			if oneLine {
				return ' '
			}
			return r
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return out, out != s
}
