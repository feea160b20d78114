package v1_test

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
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// alertsEnv serves a store at dsn with the alert runner that runner makes
// (none for nil).
func alertsEnv(t *testing.T, dsn string, runner func(store *db.DB) httpapi.AlertRunner) *apitest.Env {
	t.Helper()
	return newEnv(t, dsn, apitest.Services(func(services *api.Services, store *db.DB) {
		if runner != nil {
			services.Alerts = runner(store)
		}
	}))
}

func TestAlertSettingsAPI(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		e := alertsEnv(t, dsn, nil)
		ann := e.Register(t, freezer.Registration{Email: "ann@example.com"})
		path := fmt.Sprintf("/households/%d/alerts", ann.Household)

		t.Run("Defaults", func(t *testing.T) {
			got := e.Request(t, ann, http.MethodGet, path, nil).WantStatus(t, http.StatusOK).Object(t)
			if got["household_id"] != float64(ann.Household) || got["mqtt"] != true || got["updated_at"] != nil {
				t.Errorf("defaults = %v", got)
			}
			ha := apitest.Obj(t, got, "home_assistant")
			if ha["discovery"] != true || ha["discovery_prefix"] != "homeassistant" {
				t.Errorf("home_assistant = %v", ha)
			}
			if wh := apitest.Obj(t, got, "webhook"); wh["url"] != "" || wh["format"] != "json" || wh["token_set"] != false {
				t.Errorf("webhook = %v", wh)
			}
		})

		t.Run("ErrDiscoveryPrefixInContract", func(t *testing.T) {
			for _, prefix := range []string{"freezer/v1/household/2/injected", "freezer/v1/dev/x/set", "freezer/v1", "freezer",
				"homeassistant/sensor/freezer_manager_2", "$SYS/x"} {
				e.Request(t, ann, http.MethodPut, path, map[string]any{"home_assistant": map[string]any{"discovery_prefix": prefix}}).
					WantStatus(t, http.StatusBadRequest)
			}
		})

		t.Run("PutHidesSecrets", func(t *testing.T) {
			body := map[string]any{
				"webhook": map[string]any{"url": "https://ntfy.example/kitchen", "format": "ntfy", "token": "tk_very_secret"},
				"email": map[string]any{"to": []string{"ann@example.com"}, "from": "freezer@example.com", "smtp_host": "smtp.example.com",
					"smtp_port": 587, "smtp_username": "ann", "smtp_password": "pw_very_secret", "smtp_tls": "starttls"},
				"home_assistant": map[string]any{"discovery_prefix": "ha"},
			}
			put := e.Request(t, ann, http.MethodPut, path, body)
			got := put.WantStatus(t, http.StatusOK).Object(t)
			get := e.Request(t, ann, http.MethodGet, path, nil)
			for _, r := range []apitest.Response{put, get} {
				if strings.Contains(string(r.Body), "very_secret") {
					t.Errorf("a secret is in the answer: %s", r.Body)
				}
			}
			got = get.WantStatus(t, http.StatusOK).Object(t)
			if wh := apitest.Obj(t, got, "webhook"); wh["url"] != "https://ntfy.example/kitchen" || wh["format"] != "ntfy" || wh["token_set"] != true {
				t.Errorf("webhook = %v", wh)
			}
			if em := apitest.Obj(t, got, "email"); em["smtp_password_set"] != true || em["smtp_host"] != "smtp.example.com" || em["smtp_username"] != "ann" {
				t.Errorf("email = %v", em)
			}
			if got["updated_at"] == nil {
				t.Errorf("updated_at is null after a change")
			}

			// What GET returned may be sent back with a change: the secrets stay.
			got["mqtt"] = false
			e.Request(t, ann, http.MethodPut, path, got).WantStatus(t, http.StatusOK)
			s, err := e.Store.FindAlertSettings(ann.Ctx, ann.Household)
			if err != nil {
				t.Fatal(err)
			}
			if s.MQTT || s.Webhook.Token != "tk_very_secret" || s.Email.SMTPPassword != "pw_very_secret" {
				t.Errorf("after sending back GET's answer: mqtt %v, token %q, password %q", s.MQTT, s.Webhook.Token, s.Email.SMTPPassword)
			}

			// "" removes a secret.
			e.Request(t, ann, http.MethodPut, path, map[string]any{"webhook": map[string]any{"token": ""}}).WantStatus(t, http.StatusOK)
			if wh := apitest.Obj(t, e.Request(t, ann, http.MethodGet, path, nil).WantStatus(t, http.StatusOK).Object(t), "webhook"); wh["token_set"] != false {
				t.Errorf("token_set after removing the token = %v", wh["token_set"])
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			msg := e.Request(t, ann, http.MethodPut, path, map[string]any{"webhook": map[string]any{"url": "javascript:alert(1)"}}).
				WantError(t, http.StatusBadRequest, freezer.EINVALID)
			if !strings.Contains(msg, "webhook.url") {
				t.Errorf("message %q does not name webhook.url", msg)
			}
			e.Request(t, ann, http.MethodPut, path, map[string]any{"email": map[string]any{"smtp_port": "25"}}).WantError(t, http.StatusBadRequest, freezer.EINVALID)
			e.Request(t, ann, http.MethodPut, path, map[string]any{"pager": true}).WantError(t, http.StatusBadRequest, freezer.EINVALID)
		})

		t.Run("ErrOtherHousehold", func(t *testing.T) {
			bob := e.Register(t, freezer.Registration{Email: "bob@example.com"})
			e.Request(t, bob, http.MethodGet, path, nil).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Request(t, bob, http.MethodPut, path, map[string]any{"mqtt": false}).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Request(t, nil, http.MethodGet, path, nil).WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		})
	})
}

// TestAdminRunAlerts: administrators run the alert job of this server.
func TestAdminRunAlerts(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.Dialects(t, func(t *testing.T, dsn string) {
			e := alertsEnv(t, dsn, func(store *db.DB) httpapi.AlertRunner {
				a, err := alerts.New(alerts.Config{Schedule: alerts.ScheduleOff, Location: time.UTC, Now: func() time.Time { return testdb.Now }}, store, nil, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				return a
			})
			admin := e.Register(t, freezer.Registration{Email: "root@example.com", Admin: true})
			f := &freezer.Freezer{HouseholdID: admin.Household, Name: "Garage", NumberBoxes: 1}
			if err := e.Store.CreateFreezer(admin.Ctx, f); err != nil {
				t.Fatal(err)
			}
			today := freezer.DateOf(testdb.Now)
			p := &freezer.Product{FreezerID: f.ID, Box: 1, Name: "Lasagne", TypeID: 1, DateIn: today.AddDays(-40), PeriodMonths: 1}
			if err := e.Store.CreateProduct(admin.Ctx, p); err != nil {
				t.Fatal(err)
			}
			run := e.Request(t, admin, http.MethodPost, "/admin/alerts/run", nil).WantStatus(t, http.StatusOK).Object(t)
			if run["overdue"] != float64(1) || run["due_soon"] != float64(0) || run["today"] != today.String() {
				t.Errorf("run = %v, want one overdue alert on %s", run, today)
			}
			if run = e.Request(t, admin, http.MethodPost, "/admin/alerts/run", nil).WantStatus(t, http.StatusOK).Object(t); run["overdue"] != float64(0) {
				t.Errorf("second run = %v, want nothing new", run)
			}
		})
	})

	t.Run("ErrNotAdmin", func(t *testing.T) {
		runs := 0
		e := alertsEnv(t, testdb.SQLiteDSN(t), func(*db.DB) httpapi.AlertRunner { return countingRunner{&runs} })
		ann := e.Register(t, freezer.Registration{Email: "ann@example.com"})
		e.Request(t, ann, http.MethodPost, "/admin/alerts/run", nil).WantError(t, http.StatusForbidden, freezer.EFORBIDDEN)
		e.Request(t, nil, http.MethodPost, "/admin/alerts/run", nil).WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		if runs != 0 {
			t.Errorf("the job ran %d times", runs)
		}
	})

	t.Run("ErrNoJob", func(t *testing.T) {
		e := alertsEnv(t, testdb.SQLiteDSN(t), nil)
		admin := e.Register(t, freezer.Registration{Email: "root@example.com", Admin: true})
		e.Request(t, admin, http.MethodPost, "/admin/alerts/run", nil).WantError(t, http.StatusServiceUnavailable, freezer.EINTERNAL)
	})

	t.Run("ErrRunningElsewhere", func(t *testing.T) {
		e := alertsEnv(t, testdb.SQLiteDSN(t), func(*db.DB) httpapi.AlertRunner { return busyRunner{} })
		admin := e.Register(t, freezer.Registration{Email: "root@example.com", Admin: true})
		e.Request(t, admin, http.MethodPost, "/admin/alerts/run", nil).WantError(t, http.StatusConflict, freezer.ECONFLICT)
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
