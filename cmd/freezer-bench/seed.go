package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// busyDevices is the load at which the scan pipeline's ratio to its ceiling
// is judged: enough scanners to keep both cores busy.
const busyDevices = 200

// household is one seeded household: its owner's API token and its scanners,
// each with a product of its own.
type household struct {
	id       int64
	token    string
	scanners []*scanner
}

// fixture is the seeded data of one database.
type fixture struct {
	dsn string
	// few: s.Devices scanners and their own products, nothing else.
	// many: as many scanners, and s.Inside more products inside, spread
	// over freezers and boxes; the REST loads list it.
	// busy: busyDevices scanners with their own products, for the load that
	// keeps the cores busy.
	few, many, busy household
	idle            []*scanner // connected for the memory measurement only
}

// seedPlan says what seed creates.
type seedPlan struct {
	devices, inside, busy, idle int
}

// seed creates the fixture's households in the database at dsn (migrating
// it first).
func seed(dsn string, plan seedPlan) (*fixture, error) {
	ctx := freezer.SystemContext(context.Background())
	store, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	fx := &fixture{dsn: dsn}
	if fx.few, err = seedHousehold(ctx, store, "few", plan.devices); err != nil {
		return nil, err
	}
	if fx.many, err = seedHousehold(ctx, store, "many", plan.devices); err != nil {
		return nil, err
	}
	if err := seedInside(ctx, store, dsn, fx.many.id, plan.inside); err != nil {
		return nil, fmt.Errorf("seed %d products inside: %w", plan.inside, err)
	}
	if plan.busy > 0 {
		if fx.busy, err = seedHousehold(ctx, store, "busy", plan.busy); err != nil {
			return nil, err
		}
	}
	for i := range plan.idle {
		d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: fx.few.id, Name: "idle " + strconv.Itoa(i)}
		password, err := store.CreateDevice(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("create device: %w", err)
		}
		fx.idle = append(fx.idle, &scanner{id: d.ID, password: password})
	}
	return fx, nil
}

// seedHousehold registers a user whose household has n scanners, each with
// a product of its own inside a freezer of the household.
func seedHousehold(ctx context.Context, store *db.DB, name string, n int) (household, error) {
	reg, err := store.RegisterUser(ctx, freezer.Registration{Email: fmt.Sprintf("bench-%s-%d@example.com", name, time.Now().UnixNano()), Password: "bench password"})
	if err != nil {
		return household{}, fmt.Errorf("register user: %w", err)
	}
	h := household{id: reg.Household.ID, token: reg.Token}
	f := &freezer.Freezer{HouseholdID: h.id, Name: "door", NumberBoxes: 100}
	if err := store.CreateFreezer(ctx, f); err != nil {
		return h, fmt.Errorf("create freezer: %w", err)
	}
	today := store.Today()
	for i := range n {
		p := &freezer.Product{FreezerID: f.ID, Box: i%100 + 1, Name: "Scanned " + strconv.Itoa(i), TypeID: int64(i%43 + 1),
			Quantity: 2, DateIn: today.AddDays(-i % 400), PeriodMonths: 6}
		if err := store.CreateProduct(ctx, p); err != nil {
			return h, fmt.Errorf("create product: %w", err)
		}
		d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: h.id, Name: name + " " + strconv.Itoa(i)}
		password, err := store.CreateDevice(ctx, d)
		if err != nil {
			return h, fmt.Errorf("create device: %w", err)
		}
		h.scanners = append(h.scanners, &scanner{id: d.ID, password: password, productID: p.ID})
	}
	return h, nil
}

// Where seedInside puts its products: freezers of insideBoxes boxes of
// insideSlots products each, as a household with several chest freezers.
const (
	insideBoxes = 10
	insideSlots = 100
)

// openRaw opens a plain database/sql connection to the database of a
// freezerd DSN, for the work the bench does beside the store.
func openRaw(dsn string) (*sql.DB, error) {
	dialect, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return sql.Open(string(dialect), driverDSN)
}

// seedInside puts n products inside freezers of household h, with
// multi-row inserts straight into the products table (the store creates
// one product per transaction, which would make a run's seeding longer
// than its measurements).
func seedInside(ctx context.Context, store *db.DB, dsn string, h int64, n int) error {
	conn, err := openRaw(dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	var freezers []int64
	for i := 0; i < n; i += insideBoxes * insideSlots {
		f := &freezer.Freezer{HouseholdID: h, Name: "chest " + strconv.Itoa(len(freezers)+1), NumberBoxes: insideBoxes}
		if err := store.CreateFreezer(ctx, f); err != nil {
			return fmt.Errorf("create freezer: %w", err)
		}
		freezers = append(freezers, f.ID)
	}
	const perStatement = 500
	const columns = "(household_id, freezer_id, box, slot, name, description, type_id, quantity, date_in, period_months, created_at, updated_at)"
	today := store.Today()
	now := time.Now().UTC()
	for start := 0; start < n; start += perStatement {
		end := min(n, start+perStatement)
		var q strings.Builder
		q.WriteString("INSERT INTO products " + columns + " VALUES ")
		args := make([]any, 0, 12*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
			place := i % (insideBoxes * insideSlots)
			args = append(args, h, freezers[i/(insideBoxes*insideSlots)], place/insideSlots+1, place%insideSlots+1,
				"Product "+strconv.Itoa(i), "", int64(i%43+1), 1+i%4, today.AddDays(-i%400).String(), 3+i%10, now, now)
		}
		if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("insert products: %w", err)
		}
	}
	return nil
}

// mysqlDatabase creates a new, empty database named after the one dsn
// names plus suffix (dropping one of that name left by an earlier run),
// and returns its mysql:// DSN.
func mysqlDatabase(dsn, suffix string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse mysql dsn: %w", err)
	}
	base := strings.Trim(u.Path, "/")
	if base == "" {
		base = "freezer_bench"
	}
	name := base + suffix
	if strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "", fmt.Errorf("mysql database name %q: use letters, digits and _", name)
	}
	admin := *u
	admin.Path = "/"
	conn, err := openRaw(admin.String())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	for _, stmt := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"} {
		if _, err := conn.Exec(stmt); err != nil {
			return "", fmt.Errorf("%s: %w", stmt, err)
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}
