package db_test

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestAlertSettings(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			s, err := store.FindAlertSettings(regCtx(alice), alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := freezer.DefaultAlertSettings(alice.Household.ID)
			if !s.MQTT || !s.HomeAssistant.Discovery || s.HomeAssistant.Prefix != "homeassistant" || s.Webhook.URL != "" ||
				len(s.Email.To) != 0 || s.UpdatedAt != nil || s.Email.SMTPPort != want.Email.SMTPPort {
				t.Errorf("defaults = %+v, want %+v", s, want)
			}
			if got, want := s.Channels(), []string{freezer.ChannelMQTT}; !slices.Equal(got, want) {
				t.Errorf("channels = %v, want %v", got, want)
			}
		})
	})

	t.Run("UpdateKeepsSecrets", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx, h := regCtx(alice), alice.Household.ID
			s, err := store.UpdateAlertSettings(ctx, h, freezer.AlertSettingsUpdate{
				MQTT:    ptr(false),
				Webhook: &freezer.WebhookSettingsUpdate{URL: ptr("https://ntfy.example/freezer"), Format: ptr("ntfy"), Token: ptr("tk_secret")},
				Email: &freezer.EmailSettingsUpdate{To: ptr([]string{"a@example.com", "b@example.com"}), From: ptr("freezer@example.com"),
					SMTPHost: ptr("smtp.example.com"), SMTPPort: ptr(465), SMTPUsername: ptr("freezer"), SMTPPassword: ptr("pw_secret"), SMTPTLS: ptr("tls")},
				HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Prefix: ptr("ha/home")},
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.FindAlertSettings(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if got.MQTT || got.Webhook.Token != "tk_secret" || got.Email.SMTPPassword != "pw_secret" || got.Email.SMTPPort != 465 ||
				got.HomeAssistant.Prefix != "ha/home" || !slices.Equal(got.Email.To, []string{"a@example.com", "b@example.com"}) || got.UpdatedAt == nil {
				t.Errorf("stored = %+v (returned %+v)", got, s)
			}
			if got, want := got.Channels(), []string{freezer.ChannelWebhook, freezer.ChannelEmail}; !slices.Equal(got, want) {
				t.Errorf("channels = %v, want %v", got, want)
			}

			// The JSON of the settings never holds a secret.
			b, _ := json.Marshal(got.Public())
			if strings.Contains(string(b), "secret") {
				t.Errorf("public JSON holds a secret: %s", b)
			}
			var pub map[string]map[string]any
			_ = json.Unmarshal(b, &pub)
			if pub["webhook"]["token_set"] != true || pub["email"]["smtp_password_set"] != true {
				t.Errorf("public JSON = %s, want token_set and smtp_password_set", b)
			}

			// Changing something else keeps the secrets.
			got, err = store.UpdateAlertSettings(ctx, h, freezer.AlertSettingsUpdate{MQTT: ptr(true),
				Webhook: &freezer.WebhookSettingsUpdate{URL: ptr("https://ntfy.example/freezer")}, Email: &freezer.EmailSettingsUpdate{From: ptr("x@example.com")}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Webhook.Token != "tk_secret" || got.Email.SMTPPassword != "pw_secret" {
				t.Errorf("secrets after an unrelated change: %q %q", got.Webhook.Token, got.Email.SMTPPassword)
			}
			// Another URL or server drops them.
			got, err = store.UpdateAlertSettings(ctx, h, freezer.AlertSettingsUpdate{
				Webhook: &freezer.WebhookSettingsUpdate{URL: ptr("https://elsewhere.example/hook")}, Email: &freezer.EmailSettingsUpdate{SMTPHost: ptr("mx.elsewhere.example")}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Webhook.Token != "" || got.Email.SMTPPassword != "" {
				t.Errorf("secrets after a change of target: %q %q, want none", got.Webhook.Token, got.Email.SMTPPassword)
			}
		})
	})

	t.Run("RedactedURLKeepsStoredOne", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx, h := regCtx(alice), alice.Household.ID
			url := "https://user:hunter2@hooks.example/x"
			if _, err := store.UpdateAlertSettings(ctx, h, freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{URL: &url, Token: ptr("t")}}); err != nil {
				t.Fatal(err)
			}
			s, _ := store.FindAlertSettings(ctx, h)
			masked := s.Public().Webhook.URL
			if strings.Contains(masked, "hunter2") {
				t.Fatalf("public URL %q shows the password", masked)
			}
			s, err := store.UpdateAlertSettings(ctx, h, freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{URL: &masked}})
			if err != nil {
				t.Fatal(err)
			}
			if s.Webhook.URL != url || s.Webhook.Token != "t" {
				t.Errorf("after sending back the masked URL: %q, token %q; want the stored ones", s.Webhook.URL, s.Webhook.Token)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
		alice := MustRegister(t, store, "alice@example.com")
		ctx, h := regCtx(alice), alice.Household.ID
		for _, tc := range []struct {
			desc string
			upd  freezer.AlertSettingsUpdate
			word string
		}{
			{"ftp URL", freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{URL: ptr("ftp://x/y")}}, "webhook.url"},
			{"format", freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{Format: ptr("xml")}}, "webhook.format"},
			{"token with a newline", freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{Token: ptr("a\nb")}}, "webhook.token"},
			{"recipient", freezer.AlertSettingsUpdate{Email: &freezer.EmailSettingsUpdate{To: ptr([]string{"nobody"})}}, "email.to[0]"},
			{"no SMTP host", freezer.AlertSettingsUpdate{Email: &freezer.EmailSettingsUpdate{To: ptr([]string{"a@example.com"}), From: ptr("f@example.com")}}, "email.smtp_host"},
			{"no sender", freezer.AlertSettingsUpdate{Email: &freezer.EmailSettingsUpdate{To: ptr([]string{"a@example.com"}), SMTPHost: ptr("smtp.example.com")}}, "email.from"},
			{"host with a port", freezer.AlertSettingsUpdate{Email: &freezer.EmailSettingsUpdate{SMTPHost: ptr("smtp.example.com:25")}}, "email.smtp_host"},
			{"port", freezer.AlertSettingsUpdate{Email: &freezer.EmailSettingsUpdate{SMTPPort: ptr(0)}}, "email.smtp_port"},
			{"tls", freezer.AlertSettingsUpdate{Email: &freezer.EmailSettingsUpdate{SMTPTLS: ptr("ssl")}}, "email.smtp_tls"},
			{"wildcard prefix", freezer.AlertSettingsUpdate{HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Prefix: ptr("home/#")}}, "discovery_prefix"},
			{"empty prefix", freezer.AlertSettingsUpdate{HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Prefix: ptr("")}}, "discovery_prefix"},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				_, err := store.UpdateAlertSettings(ctx, h, tc.upd)
				assertCode(t, err, freezer.EINVALID)
				if !strings.Contains(freezer.ErrorMessage(err), tc.word) {
					t.Errorf("message %q does not name %s", freezer.ErrorMessage(err), tc.word)
				}
			})
		}
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		_, err := store.FindAlertSettings(regCtx(alice), bob.Household.ID)
		assertCode(t, err, freezer.ENOTFOUND)
		_, err = store.UpdateAlertSettings(regCtx(alice), bob.Household.ID, freezer.AlertSettingsUpdate{MQTT: ptr(false)})
		assertCode(t, err, freezer.ENOTFOUND)
	})

	t.Run("All", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			if _, err := store.UpdateAlertSettings(regCtx(bob), bob.Household.ID, freezer.AlertSettingsUpdate{MQTT: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			list, err := store.FindAllAlertSettings(systemCtx())
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].HouseholdID != alice.Household.ID || !list[0].MQTT || list[1].HouseholdID != bob.Household.ID || list[1].MQTT {
				t.Errorf("all settings = %+v %+v", list[0], list[1])
			}
			_, err = store.FindAllAlertSettings(regCtx(alice))
			assertCode(t, err, freezer.EFORBIDDEN)
		})
	})
}

func TestRecordAlert(t *testing.T) {
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "Chest", 2)
		p := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
		a := &freezer.Alert{HouseholdID: alice.Household.ID, ProductID: p.ID, Stage: freezer.AlertDueSoon, UseBy: p.UseBy()}
		created, err := store.RecordAlert(systemCtx(), a, []string{freezer.ChannelMQTT, freezer.ChannelWebhook})
		if err != nil || !created || a.ID == 0 {
			t.Fatalf("first record: created %v, id %d, err %v", created, a.ID, err)
		}
		again := &freezer.Alert{HouseholdID: alice.Household.ID, ProductID: p.ID, Stage: freezer.AlertDueSoon, UseBy: p.UseBy()}
		if created, err := store.RecordAlert(systemCtx(), again, []string{freezer.ChannelMQTT}); err != nil || created {
			t.Errorf("second record: created %v, err %v; want false, nil", created, err)
		}
		var deliveries int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM alert_deliveries WHERE alert_id = ?`, a.ID).Scan(&deliveries); err != nil || deliveries != 2 {
			t.Errorf("deliveries = %d (%v), want 2", deliveries, err)
		}
		// The database itself refuses a second alert of a product at a stage.
		if _, err := raw.Exec(`INSERT INTO alerts (household_id, product_id, stage, use_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			alice.Household.ID, p.ID, freezer.AlertDueSoon, p.UseBy().String(), testdb.Now); err == nil {
			t.Errorf("a duplicate alert row was accepted")
		}
		overdue := &freezer.Alert{HouseholdID: alice.Household.ID, ProductID: p.ID, Stage: freezer.AlertOverdue, UseBy: p.UseBy()}
		if created, err := store.RecordAlert(systemCtx(), overdue, nil); err != nil || !created {
			t.Errorf("overdue after due soon: created %v, err %v", created, err)
		}
		_, err = store.RecordAlert(regCtx(alice), a, nil)
		assertCode(t, err, freezer.EFORBIDDEN)
	})
}

func TestFindAlertCandidates(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "Chest", 2)
		ctx := regCtx(alice)
		fresh := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		soon := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		done := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		out := MustCreateProduct(t, ctx, store, newProduct(f, 2, 0))
		MustTakeOut(t, ctx, store, out.ID, today)
		record := func(p *freezer.Product, stage string) {
			if _, err := store.RecordAlert(systemCtx(), &freezer.Alert{HouseholdID: p.HouseholdID, ProductID: p.ID, Stage: stage, UseBy: p.UseBy()}, nil); err != nil {
				t.Fatal(err)
			}
		}
		record(soon, freezer.AlertDueSoon)
		record(done, freezer.AlertOverdue)

		list, err := store.FindAlertCandidates(systemCtx())
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]*freezer.AlertCandidate{}
		for _, c := range list {
			got[c.Product.ID] = c
		}
		if len(list) != 2 || got[fresh.ID] == nil || got[soon.ID] == nil {
			t.Fatalf("candidates = %v, want products %d and %d", list, fresh.ID, soon.ID)
		}
		if c := got[fresh.ID]; c.DueSoonSent || c.DueSoonDays != freezer.DefaultDueSoonDays || c.Product.Name != fresh.Name || c.Product.DateIn != fresh.DateIn {
			t.Errorf("fresh candidate = %+v %+v", c, c.Product)
		}
		if !got[soon.ID].DueSoonSent {
			t.Errorf("the due-soon alert of product %d is not reported", soon.ID)
		}
	})
}

func TestClaimDeliveries(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "Chest", 2)
		p := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
		sys := systemCtx()
		a := &freezer.Alert{HouseholdID: p.HouseholdID, ProductID: p.ID, Stage: freezer.AlertOverdue, UseBy: p.UseBy()}
		if _, err := store.RecordAlert(sys, a, []string{freezer.ChannelMQTT, freezer.ChannelWebhook}); err != nil {
			t.Fatal(err)
		}
		now := testdb.Now
		list, err := store.ClaimDeliveries(sys, []string{freezer.ChannelWebhook}, now, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("claim webhook: %v, %v; want one", list, err)
		}
		d := list[0]
		if d.Channel != freezer.ChannelWebhook || d.Alert.ID != a.ID || d.Product.Name != p.Name || d.FreezerName != "Chest" ||
			d.HouseholdName != "Home" || d.Alert.UseBy != p.UseBy() || d.Attempts != 0 {
			t.Errorf("delivery = %+v", d)
		}
		if again, _ := store.ClaimDeliveries(sys, []string{freezer.ChannelWebhook}, now, 10); len(again) != 0 {
			t.Errorf("claimed twice: %v", again)
		}
		// A failed attempt comes back when it is due.
		retry := now.Add(time.Minute)
		if err := store.FinishDelivery(sys, d.ID, freezer.DeliveryOutcome{Status: freezer.DeliveryPending, NextAttempt: retry, Error: "503"}); err != nil {
			t.Fatal(err)
		}
		if early, _ := store.ClaimDeliveries(sys, []string{freezer.ChannelWebhook}, retry.Add(-time.Second), 10); len(early) != 0 {
			t.Errorf("claimed before its retry time: %v", early)
		}
		list, _ = store.ClaimDeliveries(sys, []string{freezer.ChannelWebhook}, retry, 10)
		if len(list) != 1 || list[0].Attempts != 1 {
			t.Fatalf("retry: %v, want one with 1 attempt", list)
		}
		if err := store.FinishDelivery(sys, list[0].ID, freezer.DeliveryOutcome{Status: freezer.DeliverySent}); err != nil {
			t.Fatal(err)
		}
		if late, _ := store.ClaimDeliveries(sys, []string{freezer.ChannelWebhook}, retry.Add(time.Hour), 10); len(late) != 0 {
			t.Errorf("a sent delivery was claimed again: %v", late)
		}
		// A claim abandoned by a process that died is pending again later.
		mq, _ := store.ClaimDeliveries(sys, []string{freezer.ChannelMQTT}, now, 10)
		if len(mq) != 1 {
			t.Fatalf("claim mqtt: %v", mq)
		}
		if soon, _ := store.ClaimDeliveries(sys, []string{freezer.ChannelMQTT}, now.Add(time.Minute), 10); len(soon) != 0 {
			t.Errorf("a fresh claim was taken over: %v", soon)
		}
		if stale, _ := store.ClaimDeliveries(sys, []string{freezer.ChannelMQTT}, now.Add(time.Hour), 10); len(stale) != 1 {
			t.Errorf("an abandoned claim was not taken over: %v", stale)
		}
		assertCode(t, store.FinishDelivery(sys, d.ID, freezer.DeliveryOutcome{Status: "lost"}), freezer.EINVALID)
	})
}

func TestLockJob(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		// Two handles on one database stand for two processes.
		one, two := testdb.MustOpen(t, dsn), testdb.MustOpen(t, dsn)
		sys := systemCtx()
		unlock, err := one.LockJob(sys, "alerts", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = two.LockJob(sys, "alerts", 0)
		assertCode(t, err, freezer.ECONFLICT)
		other, err := two.LockJob(sys, "other", 0)
		if err != nil {
			t.Fatalf("another job's lock: %v", err)
		}
		other()

		// A waiting process gets the lock once it is released.
		got := make(chan error, 1)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock2, err := two.LockJob(sys, "alerts", 30*time.Second)
			if err == nil {
				unlock2()
			}
			got <- err
		}()
		unlock()
		unlock() // twice is harmless
		if err := <-got; err != nil {
			t.Errorf("waiting for the lock: %v", err)
		}
		wg.Wait()
		_, err = one.LockJob(regCtx(MustRegister(t, one, "x@example.com")), "alerts", 0)
		assertCode(t, err, freezer.EFORBIDDEN)
	})
}

func TestJobRun(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		sys := systemCtx()
		last, err := store.LastJobRun(sys, "alerts")
		if err != nil || !last.IsZero() {
			t.Fatalf("before any run: %v, %v", last, err)
		}
		at := time.Date(2026, 3, 14, 8, 0, 0, 500, time.UTC)
		for _, when := range []time.Time{at.Add(-24 * time.Hour), at} {
			if err := store.SetJobRun(sys, "alerts", when); err != nil {
				t.Fatal(err)
			}
		}
		last, err = store.LastJobRun(sys, "alerts")
		if err != nil || !last.Truncate(time.Microsecond).Equal(at.Truncate(time.Microsecond)) {
			t.Errorf("last run = %v, %v; want %v", last, err, at)
		}
	})
}
