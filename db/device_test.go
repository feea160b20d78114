package db_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// deviceIDPattern is what newDeviceID makes: a kind prefix and 8 readable characters.
var deviceIDPattern = regexp.MustCompile(`^(scanner|ha)-[a-km-np-z2-9]{8}$`)

// mustCreateDevice registers a scanner (or what mutate makes of it) in r's
// household and returns it with its password.
func mustCreateDevice(tb testing.TB, store *db.DB, r *freezer.RegisteredUser, mutate func(d *freezer.Device)) (*freezer.Device, string) {
	tb.Helper()
	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: r.Household.ID, Name: "door"}
	if mutate != nil {
		mutate(d)
	}
	password, err := store.CreateDevice(regCtx(r), d)
	if err != nil {
		tb.Fatalf("create device: %v", err)
	}
	return d, password
}

func deviceIDs(list []*freezer.Device) []string {
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	return ids
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCreateDevice(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			d, password := mustCreateDevice(t, store, alice, nil)
			if !deviceIDPattern.MatchString(d.ID) || d.ID[:8] != "scanner-" {
				t.Errorf("id %q is not scanner-<8 characters>", d.ID)
			}
			if !hex64.MatchString(password) {
				t.Errorf("password %q is not 64 hex characters", password)
			}
			if d.Mode != freezer.ModeOut || d.Online || d.LastSeenAt != nil || !d.CreatedAt.Equal(testdb.Now) {
				t.Errorf("new device %+v: want mode out, offline, never seen, created now", d)
			}

			got, err := store.FindDeviceByID(regCtx(alice), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != freezer.DeviceScanner || got.HouseholdID != alice.Household.ID || got.Name != "door" || got.Mode != freezer.ModeOut ||
				got.FreezerID != nil || got.Online || got.LastSeenAt != nil || !got.CreatedAt.Equal(testdb.Now) || got.MovingProductID != 0 {
				t.Errorf("stored device %+v", got)
			}

			// Only the SHA-256 of the password is stored.
			var stored string
			if err := raw.QueryRow(`SELECT secret_hash FROM devices WHERE id = ?`, d.ID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(password))
			if stored != hex.EncodeToString(sum[:]) {
				t.Errorf("stored hash %q is not the SHA-256 of the password", stored)
			}
			if _, err := store.AuthenticateDevice(context.Background(), d.ID, password); err != nil {
				t.Errorf("authenticate with the returned password: %v", err)
			}
		})
	})

	t.Run("Kinds, modes and a bound freezer", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "garage", 4)
			ha, _ := mustCreateDevice(t, store, alice, func(d *freezer.Device) { d.Kind = freezer.DeviceIntegration })
			if !deviceIDPattern.MatchString(ha.ID) || ha.ID[:3] != "ha-" {
				t.Errorf("integration id %q", ha.ID)
			}
			bound, _ := mustCreateDevice(t, store, alice, func(d *freezer.Device) { d.FreezerID, d.Mode = &f.ID, freezer.ModeMove })
			got, err := store.FindDeviceByID(regCtx(alice), bound.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.FreezerID == nil || *got.FreezerID != f.ID || got.Mode != freezer.ModeMove {
				t.Errorf("bound device %+v, want freezer %d in move mode", got, f.ID)
			}
		})
	})

	t.Run("Ids and passwords are unique", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ids, passwords := map[string]bool{}, map[string]bool{}
			for range 20 {
				d, password := mustCreateDevice(t, store, alice, nil)
				if ids[d.ID] || passwords[password] {
					t.Fatalf("duplicate id %q or password", d.ID)
				}
				ids[d.ID], passwords[password] = true, true
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			bobs := MustCreateFreezer(t, store, bob, "bob's", 1)
			missing := int64(999999)
			for desc, mutate := range map[string]func(d *freezer.Device){
				"unknown kind":              func(d *freezer.Device) { d.Kind = "phone" },
				"no kind":                   func(d *freezer.Device) { d.Kind = "" },
				"unknown mode":              func(d *freezer.Device) { d.Mode = "sideways" },
				"blank name":                func(d *freezer.Device) { d.Name = "  " },
				"no household":              func(d *freezer.Device) { d.HouseholdID = 0 },
				"another household freezer": func(d *freezer.Device) { d.FreezerID = &bobs.ID },
				"missing freezer":           func(d *freezer.Device) { d.FreezerID = &missing },
			} {
				d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: alice.Household.ID, Name: "door"}
				mutate(d)
				_, err := store.CreateDevice(regCtx(alice), d)
				if freezer.ErrorCode(err) != freezer.EINVALID {
					t.Errorf("%s: error %v, want EINVALID", desc, err)
				}
			}
		})
	})

	t.Run("ErrNotFound for another household", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.CreateDevice(regCtx(alice), &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: bob.Household.ID, Name: "spy"})
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.CreateDevice(context.Background(), &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: alice.Household.ID, Name: "x"})
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestFindDevices(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		clock := testdb.Now
		store.Now = func() time.Time { return clock }
		a1, _ := mustCreateDevice(t, store, alice, nil)
		clock = clock.Add(time.Second)
		a2, _ := mustCreateDevice(t, store, alice, func(d *freezer.Device) { d.Kind = freezer.DeviceIntegration })
		clock = clock.Add(time.Second)
		b1, _ := mustCreateDevice(t, store, bob, nil)

		tests := []struct {
			desc   string
			ctx    context.Context
			filter freezer.DeviceFilter
			want   []string
		}{
			{"alice sees hers, oldest first", regCtx(alice), freezer.DeviceFilter{}, []string{a1.ID, a2.ID}},
			{"bob sees his", regCtx(bob), freezer.DeviceFilter{}, []string{b1.ID}},
			{"the system sees all", systemCtx(), freezer.DeviceFilter{}, []string{a1.ID, a2.ID, b1.ID}},
			{"by kind", regCtx(alice), freezer.DeviceFilter{Kind: ptr(freezer.DeviceIntegration)}, []string{a2.ID}},
			{"by id", regCtx(alice), freezer.DeviceFilter{ID: &a1.ID}, []string{a1.ID}},
			{"another's id", regCtx(alice), freezer.DeviceFilter{ID: &b1.ID}, nil},
			{"another's household", regCtx(alice), freezer.DeviceFilter{HouseholdID: &bob.Household.ID}, nil},
			{"by household, as the system", systemCtx(), freezer.DeviceFilter{HouseholdID: &bob.Household.ID}, []string{b1.ID}},
			{"a device sees its household", freezer.NewContextWithActor(context.Background(),
				freezer.Actor{Kind: freezer.ActorDevice, DeviceID: b1.ID, HouseholdID: bob.Household.ID}), freezer.DeviceFilter{}, []string{b1.ID}},
		}
		for _, tt := range tests {
			list, err := store.FindDevices(tt.ctx, tt.filter)
			if err != nil {
				t.Errorf("%s: %v", tt.desc, err)
				continue
			}
			if got := deviceIDs(list); !equalStrings(got, tt.want) {
				t.Errorf("%s: %v, want %v", tt.desc, got, tt.want)
			}
		}
		if _, err := store.FindDevices(context.Background(), freezer.DeviceFilter{}); freezer.ErrorCode(err) != freezer.EUNAUTHORIZED {
			t.Errorf("anonymous: %v, want EUNAUTHORIZED", err)
		}

		_, err := store.FindDeviceByID(regCtx(alice), b1.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		_, err = store.FindDeviceByID(regCtx(alice), "scanner-missing")
		assertCode(t, err, freezer.ENOTFOUND)
	})
}

func TestUpdateDevice(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		f := MustCreateFreezer(t, store, alice, "garage", 2)
		bobs := MustCreateFreezer(t, store, bob, "bob's", 1)
		d, password := mustCreateDevice(t, store, alice, nil)

		got, err := store.UpdateDevice(regCtx(alice), d.ID, freezer.DeviceUpdate{Name: ptr("kitchen door"), FreezerID: &f.ID, Mode: ptr(freezer.ModeIn)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "kitchen door" || got.FreezerID == nil || *got.FreezerID != f.ID || got.Mode != freezer.ModeIn {
			t.Errorf("updated device %+v", got)
		}
		// Nil fields keep their value.
		got, err = store.UpdateDevice(regCtx(alice), d.ID, freezer.DeviceUpdate{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "kitchen door" || got.FreezerID == nil || got.Mode != freezer.ModeIn {
			t.Errorf("empty update changed %+v", got)
		}
		// Freezer 0 unbinds.
		if got, err = store.UpdateDevice(regCtx(alice), d.ID, freezer.DeviceUpdate{FreezerID: ptr(int64(0))}); err != nil || got.FreezerID != nil {
			t.Errorf("unbind: %+v, %v", got, err)
		}
		stored, err := store.FindDeviceByID(regCtx(alice), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Name != "kitchen door" || stored.FreezerID != nil || stored.Mode != freezer.ModeIn {
			t.Errorf("stored %+v", stored)
		}
		// The password is unchanged.
		if _, err := store.AuthenticateDevice(context.Background(), d.ID, password); err != nil {
			t.Errorf("authenticate after update: %v", err)
		}

		for desc, upd := range map[string]freezer.DeviceUpdate{
			"unknown mode":                {Mode: ptr("sideways")},
			"blank name":                  {Name: ptr("")},
			"another household's freezer": {FreezerID: &bobs.ID},
			"a freezer that is absent":    {FreezerID: ptr(int64(999999))},
		} {
			_, err := store.UpdateDevice(regCtx(alice), d.ID, upd)
			if freezer.ErrorCode(err) != freezer.EINVALID {
				t.Errorf("%s: %v, want EINVALID", desc, err)
			}
		}
		_, err = store.UpdateDevice(regCtx(bob), d.ID, freezer.DeviceUpdate{Name: ptr("mine")})
		assertCode(t, err, freezer.ENOTFOUND)
		_, err = store.UpdateDevice(regCtx(alice), "scanner-missing", freezer.DeviceUpdate{Name: ptr("x")})
		assertCode(t, err, freezer.ENOTFOUND)
	})
}

// Deleting a bound freezer unbinds its devices.
func TestDeviceFreezerDeleted(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "spare", 1)
		d, _ := mustCreateDevice(t, store, alice, func(d *freezer.Device) { d.FreezerID = &f.ID })
		if err := store.DeleteFreezer(regCtx(alice), f.ID); err != nil {
			t.Fatal(err)
		}
		got, err := store.FindDeviceByID(regCtx(alice), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FreezerID != nil {
			t.Errorf("device still bound to deleted freezer %d", *got.FreezerID)
		}
	})
}

func TestDeleteDevice(t *testing.T) {
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		d, password := mustCreateDevice(t, store, alice, nil)
		keep, keepPassword := mustCreateDevice(t, store, alice, nil)
		// Some scan history, which goes with the device.
		_, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
			for _, id := range []string{d.ID, keep.ID} {
				if err := tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: id, MsgID: "1", Code: "FZ-C-IN", Mode: "out", Status: "ok"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		assertCode(t, store.DeleteDevice(regCtx(bob), d.ID), freezer.ENOTFOUND)
		if err := store.DeleteDevice(regCtx(alice), d.ID); err != nil {
			t.Fatal(err)
		}
		_, err = store.FindDeviceByID(regCtx(alice), d.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		_, err = store.AuthenticateDevice(context.Background(), d.ID, password)
		assertCode(t, err, freezer.EUNAUTHORIZED)
		assertCode(t, store.DeleteDevice(regCtx(alice), d.ID), freezer.ENOTFOUND)

		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, d.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d scan events left for the deleted device", n)
		}
		if err := raw.QueryRow(`SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, keep.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("other device has %d scan events, want 1", n)
		}
		if _, err := store.AuthenticateDevice(context.Background(), keep.ID, keepPassword); err != nil {
			t.Errorf("other device: %v", err)
		}
	})
}

func TestAuthenticateDevice(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "garage", 2)
		d, password := mustCreateDevice(t, store, alice, func(d *freezer.Device) { d.FreezerID = &f.ID })
		other, otherPassword := mustCreateDevice(t, store, alice, nil)

		got, err := store.AuthenticateDevice(context.Background(), d.ID, password)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != d.ID || got.Kind != freezer.DeviceScanner || got.HouseholdID != alice.Household.ID || got.FreezerID == nil || *got.FreezerID != f.ID {
			t.Errorf("authenticated device %+v", got)
		}
		for desc, c := range map[string][2]string{
			"wrong password":            {d.ID, password[:63] + "x"},
			"another device's password": {d.ID, otherPassword},
			"empty password":            {d.ID, ""},
			"unknown id":                {"scanner-nobody", password},
			"empty id":                  {"", password},
			"id in upper case":          {strings.ToUpper(other.ID), otherPassword},
			"the hash as the password":  {d.ID, hashOf(password)},
		} {
			_, err := store.AuthenticateDevice(context.Background(), c[0], c[1])
			if freezer.ErrorCode(err) != freezer.EUNAUTHORIZED {
				t.Errorf("%s: %v, want EUNAUTHORIZED", desc, err)
			}
		}
	})
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSetDeviceOnline(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		d, _ := mustCreateDevice(t, store, alice, nil)
		clock := testdb.Now.Add(time.Minute)
		store.Now = func() time.Time { return clock }

		if err := store.SetDeviceOnline(context.Background(), d.ID, true); err != nil {
			t.Fatal(err)
		}
		got, err := store.FindDeviceByID(systemCtx(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Online || got.LastSeenAt == nil || !got.LastSeenAt.Equal(clock) {
			t.Errorf("after connecting: online=%v last_seen_at=%v, want online at %v", got.Online, got.LastSeenAt, clock)
		}

		clock = clock.Add(90 * time.Minute)
		if err := store.SetDeviceOnline(context.Background(), d.ID, false); err != nil {
			t.Fatal(err)
		}
		if got, _ = store.FindDeviceByID(systemCtx(), d.ID); got.Online || got.LastSeenAt == nil || !got.LastSeenAt.Equal(clock) {
			t.Errorf("after disconnecting: online=%v last_seen_at=%v, want offline at %v", got.Online, got.LastSeenAt, clock)
		}
		// An unknown device changes nothing.
		if err := store.SetDeviceOnline(context.Background(), "scanner-nobody", true); err != nil {
			t.Errorf("unknown device: %v", err)
		}
	})
}
