package alerts

import (
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/bustest"
	"github.com/freezer-manager/freezer/internal/netguard"
	"github.com/freezer-manager/freezer/internal/smtptest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func ref[T any](v T) *T { return &v }

// march15 is 08:00 UTC on the day of the store's fixed clock.
var march15 = time.Date(2026, time.March, 15, 8, 0, 0, 0, time.UTC)

// emailTo configures the digest to a test SMTP server, without TLS (it is on 127.0.0.1).
func emailTo(s *smtptest.Server, to ...string) *freezer.EmailSettingsUpdate {
	return &freezer.EmailSettingsUpdate{To: &to, From: ref("freezer@example.com"), SMTPHost: ref("127.0.0.1"),
		SMTPPort: ref(s.Port()), SMTPUsername: ref(s.Username), SMTPPassword: ref(s.Password), SMTPTLS: ref(freezer.SMTPNone)}
}

// nextMail returns the next message the SMTP server received.
func nextMail(t *testing.T, s *smtptest.Server) smtptest.Message {
	t.Helper()
	select {
	case m := <-s.Messages:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no e-mail arrived")
	}
	return smtptest.Message{}
}

// TestAlertRunSendsOverdueOnceOnEveryChannel: a product with a 1-month
// period dated 40 days ago gets exactly one overdue alert on MQTT, the
// webhook and the e-mail digest; the next run sends nothing.
func TestAlertRunSendsOverdueOnceOnEveryChannel(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		e := newAlertEnv(t, dsn, march15)
		p := e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
		peas := e.Product(t, "Peas", e.Today().AddDays(-2), 6)
		h := newHook(t)
		mail := smtptest.Start(t)
		mail.Username, mail.Password = "freezer", "s3cret pass"
		e.Settings(t, freezer.AlertSettingsUpdate{
			Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL, Token: ref("tok-123")},
			Email:   emailTo(mail, "ann@example.com", "bob@example.com"),
		})
		bus := &bustest.Bus{}
		a := e.alerts(t, e.Store, bus, Config{})

		run := mustRun(t, a)
		if run.Overdue != 1 || run.DueSoon != 0 || run.Today != e.Today() {
			t.Errorf("run = %+v, want 1 overdue alert on %s", run, e.Today())
		}
		for _, ch := range []string{freezer.ChannelMQTT, freezer.ChannelWebhook, freezer.ChannelEmail} {
			if run.Sent[ch] != 1 || run.Failed[ch] != 0 {
				t.Errorf("channel %s: sent %d, failed %d; want 1 and 0", ch, run.Sent[ch], run.Failed[ch])
			}
		}

		useBy := p.DateIn.AddMonths(1)
		want := map[string]string{
			"event_type": "overdue", "product_id": fmt.Sprint(p.ID), "product": "Lasagne", "freezer_id": fmt.Sprint(e.Freezer.ID),
			"freezer": "Garage", "household_id": fmt.Sprint(e.User.Household.ID), "household": "Home", "box": "1", "slot": "1",
			"location": fmt.Sprintf("F%d B1 S1", e.Freezer.ID), "label": freezer.ProductCode(p.ID), "date_in": p.DateIn.String(),
			"use_by": useBy.String(), "days_left": fmt.Sprint(e.Today().DaysUntil(useBy)), "quantity": "2",
		}
		checkAlert := func(what, payload string) {
			t.Helper()
			got := bustest.Decode(t, payload)
			for k, v := range want {
				if num(got, k) != v {
					t.Errorf("%s: %s = %v, want %s", what, k, got[k], v)
				}
			}
			if _, err := time.Parse(time.RFC3339, num(got, "at")); err != nil {
				t.Errorf("%s: at = %v, want a time", what, got["at"])
			}
		}
		events := bus.On(testTopics.Alerts(e.User.Household.ID))
		if len(events) != 1 {
			t.Fatalf("MQTT alert events = %d, want 1", len(events))
		}
		checkAlert("MQTT event", events[0])
		if msgs := bus.Matching("#"); msgs[0].Retain {
			t.Errorf("the alert event is retained")
		}

		reqs := h.delivered()
		if len(reqs) != 1 {
			t.Fatalf("webhook requests = %d, want 1", len(reqs))
		}
		checkAlert("webhook", reqs[0].Body)
		if got := reqs[0].Header.Get("Authorization"); got != "Bearer tok-123" {
			t.Errorf("webhook Authorization = %q", got)
		}
		if got := reqs[0].Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("webhook Content-Type = %q", got)
		}

		m := nextMail(t, mail)
		if m.Username != "freezer" || m.Password != "s3cret pass" || m.From != "freezer@example.com" ||
			!slices.Equal(m.To, []string{"ann@example.com", "bob@example.com"}) {
			t.Errorf("SMTP session: auth %q/%q, from %q, to %v", m.Username, m.Password, m.From, m.To)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header("Subject"))
		if !strings.Contains(subject, "1 overdue") || strings.Contains(subject, "due soon") {
			t.Errorf("subject = %q", subject)
		}
		body := decodeQP(t, m.Body())
		for _, s := range []string{"Lasagne", "Garage", useBy.String(), freezer.ProductCode(p.ID)} {
			if !strings.Contains(body, s) {
				t.Errorf("the digest does not mention %q:\n%s", s, body)
			}
		}
		// Its first lines: what to eat next, the overdue product first.
		eatNext, overdue := strings.Index(body, "Eat next:"), strings.Index(body, "Overdue")
		first, second := strings.Index(body, "- Lasagne"), strings.Index(body, "- Peas, "+freezer.PlaceOf(peas).Location())
		if eatNext < 0 || eatNext > overdue || first < eatNext || second < first || second > overdue {
			t.Errorf("the digest does not open on what to eat next, Lasagne then Peas:\n%s", body)
		}

		again := mustRun(t, a)
		if again.Overdue+again.DueSoon != 0 || len(again.Sent) != 0 {
			t.Errorf("second run = %+v, want nothing new", again)
		}
		if n := len(bus.On(testTopics.Alerts(e.User.Household.ID))); n != 1 || h.count() != 1 || len(mail.Messages) != 0 {
			t.Errorf("after a second run: %d MQTT events, %d webhook requests, %d more e-mails; want 1, 1, 0", n, h.count(), len(mail.Messages))
		}
		if got := e.recorded(t, p.ID); !slices.Equal(got, []string{freezer.AlertOverdue}) {
			t.Errorf("recorded alerts = %v, want one overdue", got)
		}
	})
}

func decodeQP(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	r := quotedprintable.NewReader(strings.NewReader(s))
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestAlertStages: which alert a product gets on which day, at month ends,
// in leap years and with each household's window.
func TestAlertStages(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		dateIn  string
		months  int
		window  int // the household's due-soon days
		today   string
		want    string // the stage alerted, "" for none
		already string // a stage recorded the day before
	}{
		{desc: "31 January + 1 month ends on 28 February: not yet due soon on the 13th", dateIn: "2026-01-31", months: 1, window: 14, today: "2026-02-13"},
		{desc: "due soon 14 days before 28 February", dateIn: "2026-01-31", months: 1, window: 14, today: "2026-02-14", want: "due_soon"},
		{desc: "not overdue on 28 February itself", dateIn: "2026-01-31", months: 1, window: 14, today: "2026-02-28", want: "due_soon"},
		{desc: "overdue on 1 March", dateIn: "2026-01-31", months: 1, window: 14, today: "2026-03-01", want: "overdue"},
		{desc: "leap year: 31 January 2028 + 1 month is 29 February", dateIn: "2028-01-31", months: 1, window: 14, today: "2028-02-29", want: "due_soon"},
		{desc: "leap year: overdue on 1 March 2028", dateIn: "2028-01-31", months: 1, window: 14, today: "2028-03-01", want: "overdue"},
		{desc: "31 March + 6 months ends on 30 September", dateIn: "2026-03-31", months: 6, window: 0, today: "2026-10-01", want: "overdue"},
		{desc: "a 3-day window: nothing 4 days before", dateIn: "2026-01-15", months: 2, window: 3, today: "2026-03-11"},
		{desc: "a 3-day window: due soon 3 days before", dateIn: "2026-01-15", months: 2, window: 3, today: "2026-03-12", want: "due_soon"},
		{desc: "a 0-day window: due soon on the use-by day only", dateIn: "2026-01-15", months: 2, window: 0, today: "2026-03-15", want: "due_soon"},
		{desc: "added already overdue: the overdue alert only", dateIn: "2025-01-10", months: 3, window: 14, today: "2026-03-15", want: "overdue"},
		{desc: "due soon alerted once", dateIn: "2026-01-31", months: 1, window: 14, today: "2026-02-20", already: "due_soon"},
		{desc: "overdue after due soon", dateIn: "2026-01-31", months: 1, window: 14, today: "2026-03-01", already: "due_soon", want: "overdue"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			today := freezer.MustParseDate(tc.today)
			e := newAlertEnv(t, testdb.SQLiteDSN(t), today.Time().Add(8*time.Hour))
			if _, err := e.Store.UpdateHousehold(e.Ctx, e.User.Household.ID, freezer.HouseholdUpdate{DueSoonDays: &tc.window}); err != nil {
				t.Fatal(err)
			}
			p := e.Product(t, "Soup", freezer.MustParseDate(tc.dateIn), tc.months)
			a := e.alerts(t, e.Store, &bustest.Bus{}, Config{})
			var before []string
			if tc.already != "" {
				e.Clock.Set(today.AddDays(-1).Time().Add(8 * time.Hour))
				if tc.already == freezer.AlertDueSoon && tc.want == freezer.AlertOverdue {
					e.Clock.Set(today.AddDays(-3).Time().Add(8 * time.Hour))
				}
				mustRun(t, a)
				before = e.recorded(t, p.ID)
				if !slices.Equal(before, []string{tc.already}) {
					t.Fatalf("the day before: recorded %v, want %s", before, tc.already)
				}
				e.Clock.Set(today.Time().Add(8 * time.Hour))
			}
			run := mustRun(t, a)
			var got []string
			if run.DueSoon > 0 {
				got = append(got, freezer.AlertDueSoon)
			}
			if run.Overdue > 0 {
				got = append(got, freezer.AlertOverdue)
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("alerts on %s = %v, want %v (use by %s)", tc.today, got, want, p.UseBy())
			}
			if all := e.recorded(t, p.ID); !slices.Equal(all, append(before, want...)) {
				t.Errorf("recorded = %v, want %v", all, append(before, want...))
			}
		})
	}
}

// TestAlertTimeZones: "today" is the calendar day of the configured zone.
func TestAlertTimeZones(t *testing.T) {
	// 23:30 UTC on 14 March: already the 15th in Auckland, still the 14th in Los Angeles.
	now := time.Date(2026, time.March, 14, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		zone  string
		today string
		want  string
	}{
		{"UTC", "2026-03-14", "due_soon"},
		{"Pacific/Auckland", "2026-03-15", "overdue"},
		{"America/Los_Angeles", "2026-03-14", "due_soon"},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Skipf("time zone data: %v", err)
			}
			e := newAlertEnv(t, testdb.SQLiteDSN(t), now.Add(-48*time.Hour))
			p := e.Product(t, "Soup", freezer.MustParseDate("2026-02-14"), 1) // use by 14 March
			e.Clock.Set(now)
			a := e.alerts(t, e.Store, &bustest.Bus{}, Config{Location: loc})
			run := mustRun(t, a)
			if run.Today.String() != tc.today {
				t.Errorf("today = %s, want %s", run.Today, tc.today)
			}
			if got := e.recorded(t, p.ID); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("alerts = %v, want %s", got, tc.want)
			}
		})
	}
}

// TestSchedule: the schedule is read in the configured zone, across
// daylight saving changes.
func TestSchedule(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("time zone data: %v", err)
	}
	for _, tc := range []struct {
		desc     string
		schedule string
		loc      *time.Location
		after    time.Time
		want     time.Time
	}{
		{"default, UTC", "", time.UTC, time.Date(2026, 3, 15, 7, 59, 0, 0, time.UTC), time.Date(2026, 3, 15, 8, 0, 0, 0, time.UTC)},
		{"default, after 08:00", "", time.UTC, time.Date(2026, 3, 15, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)},
		{"Paris in winter is UTC+1", "", paris, time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 7, 0, 0, 0, time.UTC)},
		{"Paris after the clocks went forward is UTC+2", "", paris, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC)},
		{"a spec of its own", "30 18 * * 1-5", time.UTC, time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 18, 30, 0, 0, time.UTC)},
		{"a descriptor", "@daily", paris, time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 14, 23, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			a, err := New(Config{Schedule: tc.schedule, Location: tc.loc}, nil, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.NextRun(tc.after); !got.Equal(tc.want) {
				t.Errorf("next run after %s = %s, want %s", tc.after, got.UTC(), tc.want)
			}
		})
	}
	if _, err := New(Config{Schedule: "every morning"}, nil, nil, nil, nil); err == nil {
		t.Errorf("a bad schedule was accepted")
	}
	off, _ := New(Config{Schedule: ScheduleOff}, nil, nil, nil, nil)
	if !off.NextRun(time.Now()).IsZero() {
		t.Errorf("schedule off has a next run")
	}
}

// TestTakenOutNeverAlertedAgain: a product taken out is neither alerted
// nor delivered any more, even when an earlier alert is still pending.
func TestTakenOutNeverAlertedAgain(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	soon := e.Product(t, "Soup", freezer.MustParseDate("2026-02-20"), 1) // use by 20 March: due soon
	early := e.Product(t, "Stew", freezer.MustParseDate("2026-03-01"), 1)
	h := newHook(t, 503)
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL}})
	a := e.alerts(t, e.Store, &bustest.Bus{}, Config{})
	run := mustRun(t, a)
	if run.DueSoon != 1 || run.Failed[freezer.ChannelWebhook] != 1 {
		t.Fatalf("run = %+v, want one due-soon alert whose webhook failed", run)
	}
	for _, id := range []int64{soon.ID, early.ID} {
		out := e.Today()
		if _, err := e.Store.UpdateProduct(e.Ctx, id, freezer.ProductUpdate{DateOut: &out}); err != nil {
			t.Fatal(err)
		}
	}
	e.Clock.Advance(60 * 24 * time.Hour) // both would be overdue now
	run = mustRun(t, a)
	if run.Overdue+run.DueSoon != 0 || run.Sent[freezer.ChannelWebhook] != 0 || run.Skipped[freezer.ChannelWebhook] != 1 {
		t.Errorf("run after taking out = %+v, want nothing new and the pending delivery skipped", run)
	}
	if got := len(h.delivered()); got != 0 {
		t.Errorf("webhook deliveries = %d, want 0", got)
	}
	if got := e.recorded(t, early.ID); len(got) != 0 {
		t.Errorf("alerts of a product taken out before it was due = %v", got)
	}
}

// TestCatchUpAfterRestart: a run missed while no process ran the job is
// made up at start-up, once.
func TestCatchUpAfterRestart(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	p := e.Product(t, "Soup", freezer.MustParseDate("2026-02-20"), 1) // use by 20 March, due soon from the 6th
	first := e.alerts(t, e.Store, &bustest.Bus{}, Config{})
	if ran, err := first.CatchUp(context.Background()); err != nil || !ran {
		t.Fatalf("never ran before: catch-up ran %v, %v; want true", ran, err)
	}
	e.Clock.Set(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	if ran, _ := first.CatchUp(context.Background()); ran {
		t.Errorf("caught up again an hour later, before the next 08:00")
	}

	// Down from the 1st to the 7th at 07:00: the runs of the 2nd to the 6th were missed.
	e.Clock.Set(time.Date(2026, 3, 7, 7, 0, 0, 0, time.UTC))
	bus := &bustest.Bus{}
	restarted := e.alerts(t, e.Open(t), bus, Config{})
	restarted.Start()
	select {
	case <-restarted.CaughtUp():
	case <-time.After(10 * time.Second):
		t.Fatal("the start-up catch-up did not end")
	}
	if got := e.recorded(t, p.ID); !slices.Equal(got, []string{freezer.AlertDueSoon}) {
		t.Errorf("after the catch-up: alerts %v, want due_soon", got)
	}
	if n := len(bus.On(testTopics.Alerts(e.User.Household.ID))); n != 1 {
		t.Errorf("MQTT alerts after the catch-up = %d, want 1", n)
	}
	e.Clock.Set(time.Date(2026, 3, 7, 7, 30, 0, 0, time.UTC))
	if ran, _ := restarted.CatchUp(context.Background()); ran {
		t.Errorf("caught up twice before the next scheduled run")
	}
	e.Clock.Set(time.Date(2026, 3, 7, 8, 0, 1, 0, time.UTC))
	if ran, _ := restarted.CatchUp(context.Background()); !ran {
		t.Errorf("the run of 08:00 was missed but not made up")
	}
	off := e.alerts(t, e.Store, nil, Config{Schedule: ScheduleOff})
	if ran, err := off.CatchUp(context.Background()); ran || err != nil {
		t.Errorf("catch-up with the schedule off: %v, %v", ran, err)
	}
}

// TestWebhookDownThenUp: a webhook that fails is retried with backoff and
// delivered exactly once when it is back.
func TestWebhookDownThenUp(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	h := newHook(t, 503, 500)
	e.Settings(t, freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL}})
	bus := &bustest.Bus{}
	a := e.alerts(t, e.Store, bus, Config{RetryBase: 30 * time.Second})

	run := mustRun(t, a)
	if run.Failed[freezer.ChannelWebhook] != 1 || run.Sent[freezer.ChannelMQTT] != 1 {
		t.Fatalf("first run = %+v, want the webhook failed and MQTT sent", run)
	}
	deliver := func() *freezer.AlertRun {
		t.Helper()
		run, err := a.Deliver(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	if run := deliver(); len(run.Sent)+len(run.Failed) != 0 || h.count() != 1 {
		t.Errorf("retried before its backoff: %+v, %d requests", run, h.count())
	}
	e.Clock.Advance(30 * time.Second)
	if run := deliver(); run.Failed[freezer.ChannelWebhook] != 1 || h.count() != 2 {
		t.Errorf("second attempt after 30 s: %+v, %d requests; want a failure", run, h.count())
	}
	e.Clock.Advance(59 * time.Second) // the backoff doubled to 60 s
	if run := deliver(); len(run.Failed) != 0 || h.count() != 2 {
		t.Errorf("retried before the doubled backoff: %+v", run)
	}
	e.Clock.Advance(time.Second)
	if run := deliver(); run.Sent[freezer.ChannelWebhook] != 1 {
		t.Errorf("third attempt: %+v, want it sent", run)
	}
	e.Clock.Advance(24 * time.Hour)
	deliver()
	mustRun(t, a)
	if got := len(h.delivered()); got != 1 || h.count() != 3 {
		t.Errorf("webhook: %d deliveries in %d requests, want 1 in 3", got, h.count())
	}
	if n := len(bus.On(testTopics.Alerts(e.User.Household.ID))); n != 1 {
		t.Errorf("MQTT alert events = %d, want 1", n)
	}
}

// TestWebhookRetriedInTheBackground: the job's own goroutine retries a
// failed webhook when its backoff ends.
func TestWebhookRetriedInTheBackground(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	h := newHook(t, 503)
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL}})
	start := time.Now() // the job's clock moves from march15 at real speed
	a, err := New(Config{Schedule: ScheduleOff, Location: time.UTC, RetryBase: 20 * time.Millisecond,
		Now: func() time.Time { return march15.Add(time.Since(start)) }}, e.Store, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	a.Start()
	if run := mustRun(t, a); run.Failed[freezer.ChannelWebhook] != 1 {
		t.Fatalf("run = %+v, want the webhook failed", run)
	}
	select {
	case <-h.got:
	case <-time.After(10 * time.Second):
		t.Fatal("the failed webhook was not retried")
	}
	if got := len(h.delivered()); got != 1 {
		t.Errorf("deliveries = %d, want 1", got)
	}
}

// TestDeliveryGivesUp: after MaxAttempts failures a delivery is dropped.
func TestDeliveryGivesUp(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	h := newHook(t, 503, 503, 503)
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL}})
	a := e.alerts(t, e.Store, nil, Config{MaxAttempts: 2, RetryBase: time.Minute})
	mustRun(t, a)
	e.Clock.Advance(time.Minute)
	a.Deliver(context.Background())
	e.Clock.Advance(24 * time.Hour)
	a.Deliver(context.Background())
	if h.count() != 2 {
		t.Errorf("attempts = %d, want 2", h.count())
	}
	var status string
	testdb.Raw(t, e.DSN).QueryRow(`SELECT status FROM alert_deliveries`).Scan(&status)
	if status != freezer.DeliveryFailed {
		t.Errorf("delivery status = %q, want failed", status)
	}
}

// TestNtfyWebhook: the ntfy format is a line of text with ntfy's headers.
func TestNtfyWebhook(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Crème brûlée", e.Today().AddDays(-40), 1)
	e.Product(t, "Soup", freezer.MustParseDate("2026-02-20"), 1)
	h := newHook(t)
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false),
		Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL, Format: ref(freezer.WebhookNtfy), Token: ref("tk_ntfy")}})
	run := mustRun(t, e.alerts(t, e.Store, nil, Config{}))
	if run.Sent[freezer.ChannelWebhook] != 2 {
		t.Fatalf("run = %+v, want 2 webhooks", run)
	}
	byTitle := map[string]hookRequest{}
	for _, r := range h.delivered() {
		byTitle[r.Header.Get("Title")] = r
	}
	over, soon := byTitle["Freezer: overdue"], byTitle["Freezer: due soon"]
	if over.Header.Get("Priority") != "high" || over.Header.Get("Tags") != "warning" || !strings.Contains(over.Body, "Crème brûlée") ||
		!strings.Contains(over.Body, "overdue") {
		t.Errorf("overdue notification: %v %q", over.Header, over.Body)
	}
	if soon.Header.Get("Priority") != "default" || !strings.Contains(soon.Body, "Soup") || !strings.Contains(soon.Body, "2026-03-20") {
		t.Errorf("due-soon notification: %v %q", soon.Header, soon.Body)
	}
	if got := over.Header.Get("Authorization"); got != "Bearer tk_ntfy" {
		t.Errorf("Authorization = %q", got)
	}
	if !strings.HasPrefix(over.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type = %q", over.Header.Get("Content-Type"))
	}
}

// TestEmailDigest: one e-mail per household and run lists every alert.
func TestEmailDigest(t *testing.T) {
	t.Run("OneDigest", func(t *testing.T) {
		e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
		e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
		e.Product(t, "Soup", freezer.MustParseDate("2026-02-20"), 1)
		mail := smtptest.Start(t)
		e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Email: emailTo(mail, "ann@example.com")})
		run := mustRun(t, e.alerts(t, e.Store, nil, Config{}))
		if run.Sent[freezer.ChannelEmail] != 2 || run.Overdue != 1 || run.DueSoon != 1 {
			t.Fatalf("run = %+v", run)
		}
		m := nextMail(t, mail)
		if len(mail.Messages) != 0 {
			t.Errorf("more than one e-mail")
		}
		if m.Username != "" {
			t.Errorf("authenticated without a user name")
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header("Subject"))
		if subject != "Freezer (Home): 1 overdue, 1 due soon" {
			t.Errorf("subject = %q", subject)
		}
		for k, want := range map[string]string{"From": "freezer@example.com", "To": "ann@example.com", "MIME-Version": "1.0",
			"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable"} {
			if got := m.Header(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if _, err := time.Parse(time.RFC1123Z, m.Header("Date")); err != nil || m.Header("Message-ID") == "" {
			t.Errorf("Date %q, Message-ID %q", m.Header("Date"), m.Header("Message-ID"))
		}
		body := decodeQP(t, m.Body())
		if i, j := strings.Index(body, "Lasagne"), strings.Index(body, "Soup"); i < 0 || j < i {
			t.Errorf("body lists the overdue product, then the one due soon:\n%s", body)
		}
	})

	t.Run("STARTTLS", func(t *testing.T) {
		e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
		e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
		mail := smtptest.Start(t)
		serverTLS, pool := smtptest.SelfSigned(t)
		mail.TLSConfig, mail.Username, mail.Password = serverTLS, "freezer", "pw"
		upd := emailTo(mail, "ann@example.com")
		upd.SMTPTLS = ref(freezer.SMTPStartTLS)
		e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Email: upd})
		run := mustRun(t, e.alerts(t, e.Store, nil, Config{TLSConfig: &tls.Config{RootCAs: pool}}))
		if run.Sent[freezer.ChannelEmail] != 1 {
			t.Fatalf("run = %+v", run)
		}
		if m := nextMail(t, mail); !m.TLS || m.Username != "freezer" {
			t.Errorf("session: TLS %v, user %q; want STARTTLS and AUTH", m.TLS, m.Username)
		}
	})

	t.Run("ErrNoSTARTTLS", func(t *testing.T) {
		e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
		e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
		mail := smtptest.Start(t)
		upd := emailTo(mail, "ann@example.com")
		upd.SMTPTLS = ref(freezer.SMTPStartTLS)
		e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Email: upd})
		run := mustRun(t, e.alerts(t, e.Store, nil, Config{}))
		if run.Failed[freezer.ChannelEmail] != 1 || len(mail.Messages) != 0 {
			t.Errorf("run = %+v; want the e-mail refused without STARTTLS", run)
		}
	})
}

// TestTwoSchedulersSendOnce: two processes running the job at the same
// time on one database send each alert once.
func TestTwoSchedulersSendOnce(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		e := newAlertEnv(t, dsn, march15)
		const n = 6
		for i := range n {
			e.Product(t, fmt.Sprintf("Dish %d", i), e.Today().AddDays(-40+i), 1)
		}
		h := newHook(t)
		e.Settings(t, freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL}})
		buses := []*bustest.Bus{{}, {}}
		replicas := []*Job{e.alerts(t, e.Open(t), buses[0], Config{}), e.alerts(t, e.Open(t), buses[1], Config{})}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for round := 0; round < 3; round++ {
			for _, a := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := a.Run(context.Background()); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("run: %v", err)
		}
		seen := map[string]int{}
		for _, r := range h.delivered() {
			seen[num(bustest.Decode(t, r.Body), "alert_id")]++
		}
		if len(seen) != n {
			t.Errorf("webhook got %d distinct alerts, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("alert %s posted %d times", id, c)
			}
		}
		mqtt := map[string]int{}
		for _, b := range buses {
			for _, p := range b.On(testTopics.Alerts(e.User.Household.ID)) {
				mqtt[num(bustest.Decode(t, p), "alert_id")]++
			}
		}
		if len(mqtt) != n {
			t.Errorf("MQTT got %d distinct alerts, want %d", len(mqtt), n)
		}
		for id, c := range mqtt {
			if c != 1 {
				t.Errorf("alert %s published %d times", id, c)
			}
		}
	})
}

// TestMQTTWaitsForABus: a process without a broker (freezerd alerts run)
// leaves MQTT deliveries to one that has one.
func TestMQTTWaitsForABus(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	cli := e.alerts(t, e.Store, nil, Config{Schedule: ScheduleOff})
	if run := mustRun(t, cli); run.Overdue != 1 || len(run.Sent)+len(run.Failed) != 0 {
		t.Fatalf("run without a bus = %+v, want the alert recorded and nothing sent", run)
	}
	bus := &bustest.Bus{}
	server := e.alerts(t, e.Store, bus, Config{})
	if run, _ := server.Deliver(context.Background()); run.Sent[freezer.ChannelMQTT] != 1 {
		t.Errorf("delivery by the server = %+v, want the MQTT alert", run)
	}
	if got := len(bus.On(testTopics.Alerts(e.User.Household.ID))); got != 1 {
		t.Errorf("MQTT events = %d, want 1", got)
	}
}

// TestAlertsRefusePrivateTargets: with the server's guard, a household's
// webhook or SMTP server on the server's own network is never reached, and
// the delivery's error says how an operator allows it.
func TestAlertsRefusePrivateTargets(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	h := newHook(t)
	smtpAddr, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer smtpAddr.Close()
	host, portText, _ := net.SplitHostPort(smtpAddr.Addr().String())
	port, _ := strconv.Atoi(portText)
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL},
		Email: &freezer.EmailSettingsUpdate{To: ref([]string{"a@example.com"}), From: ref("f@example.com"), SMTPHost: &host, SMTPPort: &port, SMTPTLS: ref("none")}})
	a := e.alerts(t, e.Store, nil, Config{Guard: &netguard.Guard{}})
	run := mustRun(t, a)
	if run.Failed[freezer.ChannelWebhook] != 1 || run.Failed[freezer.ChannelEmail] != 1 {
		t.Fatalf("run = %+v, want the webhook and the e-mail failed", run)
	}
	if h.count() != 0 {
		t.Errorf("the loopback webhook was reached %d times", h.count())
	}
	rows, err := testdb.Raw(t, e.DSN).Query(`SELECT last_error FROM alert_deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			t.Fatal(err)
		}
		if n++; !strings.Contains(msg, "refused to connect to 127.0.0.1") || !strings.Contains(msg, "--allow") {
			t.Errorf("delivery error %q, want refused with how to allow it", msg)
		}
	}
	if n != 2 {
		t.Errorf("%d deliveries, want 2", n)
	}
}
