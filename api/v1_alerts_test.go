package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/alerts"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestAlertSettingsAPI(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		e := newAlertsEnv(t, dsn, nil)
		ann := e.register(t, "ann@example.com", false)
		path := fmt.Sprintf("/households/%d/alerts", ann.Household.ID)

		t.Run("Defaults", func(t *testing.T) {
			got := e.do(t, ann, http.MethodGet, path, nil).want(t, http.StatusOK)
			if got["household_id"] != float64(ann.Household.ID) || got["mqtt"] != true || got["updated_at"] != nil {
				t.Errorf("defaults = %v", got)
			}
			ha := alertsObj(t, got, "home_assistant")
			if ha["discovery"] != true || ha["discovery_prefix"] != "homeassistant" {
				t.Errorf("home_assistant = %v", ha)
			}
			if wh := alertsObj(t, got, "webhook"); wh["url"] != "" || wh["format"] != "json" || wh["token_set"] != false {
				t.Errorf("webhook = %v", wh)
			}
		})

		t.Run("ErrDiscoveryPrefixInContract", func(t *testing.T) {
			for _, prefix := range []string{"freezer/v1/household/2/injected", "freezer/v1/dev/x/set", "freezer/v1", "freezer",
				"homeassistant/sensor/freezer_manager_2", "$SYS/x"} {
				e.do(t, ann, http.MethodPut, path, map[string]any{"home_assistant": map[string]any{"discovery_prefix": prefix}}).
					want(t, http.StatusBadRequest)
			}
		})

		t.Run("PutHidesSecrets", func(t *testing.T) {
			body := map[string]any{
				"webhook": map[string]any{"url": "https://ntfy.example/kitchen", "format": "ntfy", "token": "tk_very_secret"},
				"email": map[string]any{"to": []string{"ann@example.com"}, "from": "freezer@example.com", "smtp_host": "smtp.example.com",
					"smtp_port": 587, "smtp_username": "ann", "smtp_password": "pw_very_secret", "smtp_tls": "starttls"},
				"home_assistant": map[string]any{"discovery_prefix": "ha"},
			}
			put := e.do(t, ann, http.MethodPut, path, body)
			got := put.want(t, http.StatusOK)
			get := e.do(t, ann, http.MethodGet, path, nil)
			for _, r := range []alertsResp{put, get} {
				if strings.Contains(string(r.body), "very_secret") {
					t.Errorf("a secret is in the answer: %s", r.body)
				}
			}
			got = get.want(t, http.StatusOK)
			if wh := alertsObj(t, got, "webhook"); wh["url"] != "https://ntfy.example/kitchen" || wh["format"] != "ntfy" || wh["token_set"] != true {
				t.Errorf("webhook = %v", wh)
			}
			if em := alertsObj(t, got, "email"); em["smtp_password_set"] != true || em["smtp_host"] != "smtp.example.com" || em["smtp_username"] != "ann" {
				t.Errorf("email = %v", em)
			}
			if got["updated_at"] == nil {
				t.Errorf("updated_at is null after a change")
			}

			// What GET returned may be sent back with a change: the secrets stay.
			got["mqtt"] = false
			e.do(t, ann, http.MethodPut, path, got).want(t, http.StatusOK)
			s, err := e.store.FindAlertSettings(ann.ctx, ann.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.MQTT || s.Webhook.Token != "tk_very_secret" || s.Email.SMTPPassword != "pw_very_secret" {
				t.Errorf("after sending back GET's answer: mqtt %v, token %q, password %q", s.MQTT, s.Webhook.Token, s.Email.SMTPPassword)
			}

			// "" removes a secret.
			e.do(t, ann, http.MethodPut, path, map[string]any{"webhook": map[string]any{"token": ""}}).want(t, http.StatusOK)
			if wh := alertsObj(t, e.do(t, ann, http.MethodGet, path, nil).want(t, http.StatusOK), "webhook"); wh["token_set"] != false {
				t.Errorf("token_set after removing the token = %v", wh["token_set"])
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			msg := e.do(t, ann, http.MethodPut, path, map[string]any{"webhook": map[string]any{"url": "javascript:alert(1)"}}).
				wantErr(t, http.StatusBadRequest, freezer.EINVALID)
			if !strings.Contains(msg, "webhook.url") {
				t.Errorf("message %q does not name webhook.url", msg)
			}
			e.do(t, ann, http.MethodPut, path, map[string]any{"email": map[string]any{"smtp_port": "25"}}).wantErr(t, http.StatusBadRequest, freezer.EINVALID)
			e.do(t, ann, http.MethodPut, path, map[string]any{"pager": true}).wantErr(t, http.StatusBadRequest, freezer.EINVALID)
		})

		t.Run("ErrOtherHousehold", func(t *testing.T) {
			bob := e.register(t, "bob@example.com", false)
			e.do(t, bob, http.MethodGet, path, nil).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.do(t, bob, http.MethodPut, path, map[string]any{"mqtt": false}).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.do(t, nil, http.MethodGet, path, nil).wantErr(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		})
	})
}

// TestAdminRunAlerts: administrators run the alert job of this server.
func TestAdminRunAlerts(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.Dialects(t, func(t *testing.T, dsn string) {
			e := newAlertsEnv(t, dsn, func(store *db.DB) api.AlertRunner {
				a, err := alerts.New(alerts.Config{Schedule: alerts.ScheduleOff, Location: time.UTC, Now: func() time.Time { return testdb.Now }}, store, nil, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				return a
			})
			admin := e.register(t, "root@example.com", true)
			f := &freezer.Freezer{HouseholdID: admin.Household.ID, Name: "Garage", NumberBoxes: 1}
			if err := e.store.CreateFreezer(admin.ctx, f); err != nil {
				t.Fatal(err)
			}
			today := freezer.DateOf(testdb.Now)
			p := &freezer.Product{FreezerID: f.ID, Box: 1, Name: "Lasagne", TypeID: 1, DateIn: today.AddDays(-40), PeriodMonths: 1}
			if err := e.store.CreateProduct(admin.ctx, p); err != nil {
				t.Fatal(err)
			}
			run := e.do(t, admin, http.MethodPost, "/admin/alerts/run", nil).want(t, http.StatusOK)
			if run["overdue"] != float64(1) || run["due_soon"] != float64(0) || run["today"] != today.String() {
				t.Errorf("run = %v, want one overdue alert on %s", run, today)
			}
			if run = e.do(t, admin, http.MethodPost, "/admin/alerts/run", nil).want(t, http.StatusOK); run["overdue"] != float64(0) {
				t.Errorf("second run = %v, want nothing new", run)
			}
		})
	})

	t.Run("ErrNotAdmin", func(t *testing.T) {
		runs := 0
		e := newAlertsEnv(t, testdb.SQLiteDSN(t), func(*db.DB) api.AlertRunner { return countingRunner{&runs} })
		ann := e.register(t, "ann@example.com", false)
		e.do(t, ann, http.MethodPost, "/admin/alerts/run", nil).wantErr(t, http.StatusForbidden, freezer.EFORBIDDEN)
		e.do(t, nil, http.MethodPost, "/admin/alerts/run", nil).wantErr(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		if runs != 0 {
			t.Errorf("the job ran %d times", runs)
		}
	})

	t.Run("ErrNoJob", func(t *testing.T) {
		e := newAlertsEnv(t, testdb.SQLiteDSN(t), nil)
		admin := e.register(t, "root@example.com", true)
		e.do(t, admin, http.MethodPost, "/admin/alerts/run", nil).wantErr(t, http.StatusServiceUnavailable, freezer.EINTERNAL)
	})

	t.Run("ErrRunningElsewhere", func(t *testing.T) {
		e := newAlertsEnv(t, testdb.SQLiteDSN(t), func(*db.DB) api.AlertRunner { return busyRunner{} })
		admin := e.register(t, "root@example.com", true)
		e.do(t, admin, http.MethodPost, "/admin/alerts/run", nil).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
	})
}

type countingRunner struct{ n *int }

func (r countingRunner) Run(context.Context) (*freezer.AlertRun, error) {
	*r.n++
	return &freezer.AlertRun{}, nil
}

type busyRunner struct{}

func (busyRunner) Run(context.Context) (*freezer.AlertRun, error) {
	return nil, freezer.Errorf(freezer.ECONFLICT, "Job \"alerts\" is running elsewhere.")
}
