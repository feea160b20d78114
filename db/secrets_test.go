package db_test

import (
	"context"
	"database/sql"
	"github.com/freezer-manager/freezer/internal/testdb"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/secretbox"
)

// rawSecrets reads the stored secret columns of household h as they are on disk.
func rawSecrets(t *testing.T, raw *sql.DB, h int64) []string {
	t.Helper()
	var token, webhook, smtp string
	if err := raw.QueryRow("SELECT token FROM printers WHERE household_id = ?", h).Scan(&token); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow("SELECT webhook_token, smtp_password FROM alert_settings WHERE household_id = ?", h).Scan(&webhook, &smtp); err != nil {
		t.Fatal(err)
	}
	return []string{token, webhook, smtp}
}

func TestSecretsAtRest(t *testing.T) {
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx, h := regCtx(alice), alice.Household.ID
		long := strings.Repeat("p", freezer.MaxSecretLength)
		setSecrets := func() {
			t.Helper()
			if err := store.SetPrinter(ctx, &freezer.PrinterConfig{HouseholdID: h, Kind: freezer.PrinterWebhook,
				Target: "http://printer.lan:8013/api/print", Token: "printer_secret"}); err != nil {
				t.Fatal(err)
			}
			if _, err := store.UpdateAlertSettings(ctx, h, freezer.AlertSettingsUpdate{
				Webhook: &freezer.WebhookSettingsUpdate{URL: ptr("https://ntfy.example/freezer"), Token: ptr("webhook_secret")},
				Email: &freezer.EmailSettingsUpdate{To: ptr([]string{"a@example.com"}), From: ptr("f@example.com"),
					SMTPHost: ptr("smtp.example.com"), SMTPPassword: ptr(long)},
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Written before encryption was in place: plain text…
		setSecrets()
		key := secretbox.Generate()
		store.SetSecretKey(key)
		// …sealed on the next start.
		if n, err := store.SealSecrets(ctx); err != nil || n != 3 {
			t.Fatalf("SealSecrets = %d, %v; want 3 sealed", n, err)
		}
		check := func() {
			t.Helper()
			for _, v := range rawSecrets(t, raw, h) {
				if !secretbox.Sealed(v) || strings.Contains(v, "secret") || strings.Contains(v, "ppp") {
					t.Errorf("stored secret %.40q… is not encrypted", v)
				}
			}
			p, err := store.FindPrinter(ctx, h)
			if err != nil || p.Token != "printer_secret" {
				t.Fatalf("printer token %q, %v", p.Token, err)
			}
			s, err := store.FindAlertSettings(ctx, h)
			if err != nil || s.Webhook.Token != "webhook_secret" || s.Email.SMTPPassword != long {
				t.Fatalf("alert secrets %q %.10q, %v", s.Webhook.Token, s.Email.SMTPPassword, err)
			}
		}
		check()
		if n, err := store.SealSecrets(ctx); err != nil || n != 0 {
			t.Fatalf("second SealSecrets = %d, %v; want 0", n, err)
		}
		setSecrets() // written with the key
		check()
		// Without the key, or with another, the secrets do not read.
		store.SetSecretKey(secretbox.Generate())
		if _, err := store.FindPrinter(ctx, h); err == nil {
			t.Error("a sealed token opened with another key")
		}
		store.SetSecretKey(nil)
		_, err := store.FindAlertSettings(ctx, h)
		assertCode(t, err, freezer.EINTERNAL)
		store.SetSecretKey(key)
	})
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "freezer.db")
	store := testdb.MustOpen(t, "sqlite:"+path)
	if _, err := store.SealSecrets(context.Background()); err != nil { // a write: the log files exist
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v, want readable by its owner only", filepath.Base(name), perm)
		}
	}
}
