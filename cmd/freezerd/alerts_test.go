package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/smtptest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// mqttLog keeps every message an MQTT client receives.
type mqttLog struct {
	mu   sync.Mutex
	msgs []paho.Message
}

func (l *mqttLog) add(_ paho.Client, m paho.Message) {
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	l.mu.Unlock()
}

// on returns the payloads received on topic, in order.
func (l *mqttLog) on(topic string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var list []string
	for _, m := range l.msgs {
		if m.Topic() == topic {
			list = append(list, string(m.Payload()))
		}
	}
	return list
}

// last returns the latest payload received on topic.
func (l *mqttLog) last(topic string) string {
	list := l.on(topic)
	if len(list) == 0 {
		return ""
	}
	return list[len(list)-1]
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAlertsEndToEnd is the "done when": a product with a 1-month
// period dated 40 days ago gets, at the next run, exactly one overdue alert
// on every configured channel — MQTT as Home Assistant reads it with an
// integration credential, a webhook, an e-mail digest — and the freezer's
// overdue sensor shows 1.
func TestAlertsEndToEnd(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
			AlertSchedule: "@yearly", TZ: "UTC", Targets: TargetConfig{AllowedNetworks: "127.0.0.0/8"}}) // the webhook and SMTP server are on loopback
		select {
		case <-m.Alerts.CaughtUp():
		case <-time.After(10 * time.Second):
			t.Fatal("the start-up catch-up did not end")
		}
		base := "http://" + m.HTTP.Addr() + "/api/v1"

		code, out, stderr := runCmd(t, nil, "", "user", "add", "--db", dsn, "--email", "ann@example.com", "--password", "password1", "--admin")
		if code != 0 {
			t.Fatalf("user add: %s", stderr)
		}
		var user struct {
			HouseholdID int64  `json:"household_id"`
			Token       string `json:"token"`
		}
		json.Unmarshal([]byte(out), &user)
		h := user.HouseholdID
		call := func(method, path string, body any) map[string]any {
			t.Helper()
			return callJSON(t, user.Token, method, base+path, body)
		}

		// Home Assistant connects with an integration credential from the command line.
		code, out, stderr = runCmd(t, nil, "", "device", "add", "--db", dsn, "--household", strconv.FormatInt(h, 10),
			"--name", "Home Assistant", "--kind", "integration", "--broker", "tcp://"+m.Broker.TCPAddr())
		if code != 0 {
			t.Fatalf("device add: %s", stderr)
		}
		var creds devices.Credentials
		if err := json.Unmarshal([]byte(out), &creds); err != nil || !strings.HasPrefix(creds.DeviceID, "ha-") {
			t.Fatalf("device add printed %q (%v)", out, err)
		}
		ha := &mqttLog{}
		client := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(creds.DeviceID).
			SetUsername(creds.Username).SetPassword(creds.Password).SetAutoReconnect(false).SetDefaultPublishHandler(ha.add))
		if tok := client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("Home Assistant connects: %v", tok.Error())
		}
		t.Cleanup(func() { client.Disconnect(0) })
		for _, filter := range []string{fmt.Sprintf("freezer/v1/household/%d/#", h), "homeassistant/#"} {
			if tok := client.Subscribe(filter, 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				t.Fatalf("subscribe %s: %v", filter, tok.Error())
			}
		}
		if tok := client.Publish("homeassistant/status", 1, false, "online"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish Home Assistant's birth message: %v", tok.Error())
		}

		// Channels: a webhook and an e-mail digest, besides MQTT.
		var hookMu sync.Mutex
		var hooks []string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			hookMu.Lock()
			hooks = append(hooks, string(b))
			hookMu.Unlock()
		}))
		t.Cleanup(hook.Close)
		webhooks := func() []string {
			hookMu.Lock()
			defer hookMu.Unlock()
			return append([]string(nil), hooks...)
		}
		mail := smtptest.Start(t)
		call(http.MethodPut, fmt.Sprintf("/households/%d/alerts", h), map[string]any{
			"webhook": map[string]any{"url": hook.URL},
			"email": map[string]any{"to": []string{"ann@example.com"}, "from": "freezer@example.com", "smtp_host": "127.0.0.1",
				"smtp_port": mail.Port(), "smtp_tls": "none"},
		})

		f := call(http.MethodPost, "/freezers", map[string]any{"name": "Garage", "number_boxes": 2})
		fid := int64(f["id"].(float64))
		dateIn := freezer.DateOf(time.Now().UTC()).AddDays(-40)
		product := call(http.MethodPost, "/products", map[string]any{"freezer_id": fid, "box": 1, "name": "Lasagne", "type_id": 1,
			"quantity": 2, "date_in": dateIn.String(), "period_months": 1})
		pid := int64(product["id"].(float64))

		run := call(http.MethodPost, "/admin/alerts/run", nil)
		if run["overdue"] != float64(1) || run["due_soon"] != float64(0) {
			t.Fatalf("run = %v, want one overdue alert", run)
		}
		sent, _ := run["sent"].(map[string]any)
		for _, ch := range []string{"mqtt", "webhook", "email"} {
			if sent[ch] != float64(1) {
				t.Errorf("sent on %s = %v, want 1 (%v)", ch, sent[ch], run)
			}
		}

		alertsTopic := fmt.Sprintf("freezer/v1/household/%d/alerts", h)
		eventually(t, "the MQTT alert", func() bool { return len(ha.on(alertsTopic)) > 0 })
		var alert devices.AlertMessage
		if err := json.Unmarshal([]byte(ha.on(alertsTopic)[0]), &alert); err != nil || alert.EventType != "overdue" || alert.ProductID != pid ||
			alert.Product != "Lasagne" || alert.Freezer != "Garage" || alert.UseBy != dateIn.AddMonths(1) {
			t.Errorf("MQTT alert = %+v (%v)", alert, err)
		}
		if got := webhooks(); len(got) != 1 || !strings.Contains(got[0], `"event_type":"overdue"`) {
			t.Errorf("webhook requests = %q, want one overdue alert", got)
		}
		select {
		case msg := <-mail.Messages:
			if !strings.Contains(msg.Header("Subject"), "1 overdue") || !strings.Contains(msg.Body(), "Lasagne") {
				t.Errorf("digest: %q\n%s", msg.Header("Subject"), msg.Body())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no digest e-mail")
		}

		// The freezer's overdue sensor, read as Home Assistant does: from its
		// discovery config to its state topic and value template.
		configTopic := fmt.Sprintf("homeassistant/sensor/freezer_manager_%d/freezer_%d_overdue/config", h, fid)
		eventually(t, "the overdue sensor's config", func() bool { return ha.last(configTopic) != "" })
		var sensor struct {
			StateTopic    string `json:"state_topic"`
			ValueTemplate string `json:"value_template"`
			UniqueID      string `json:"unique_id"`
		}
		json.Unmarshal([]byte(ha.last(configTopic)), &sensor)
		field := regexp.MustCompile(`^\{\{ value_json\.([a-z_]+) \}\}$`).FindStringSubmatch(sensor.ValueTemplate)
		if sensor.StateTopic == "" || field == nil {
			t.Fatalf("sensor config = %s", ha.last(configTopic))
		}
		overdue := func() any {
			var state map[string]any
			json.Unmarshal([]byte(ha.last(sensor.StateTopic)), &state)
			return state[field[1]]
		}
		eventually(t, "the overdue sensor showing 1", func() bool { return overdue() == float64(1) })

		// The next runs send nothing more for this product. A product added
		// afterwards, alerted by "freezerd alerts run", marks the end of
		// the stream: anything sent twice would have arrived before it.
		if run := call(http.MethodPost, "/admin/alerts/run", nil); run["overdue"] != float64(0) {
			t.Errorf("second run = %v, want nothing new", run)
		}
		second := call(http.MethodPost, "/products", map[string]any{"freezer_id": fid, "box": 2, "name": "Stew", "type_id": 1,
			"date_in": dateIn.String(), "period_months": 1})
		code, out, stderr = runCmd(t, map[string]string{"FREEZER_ALLOW_PRIVATE_TARGETS": "true"}, "", "alerts", "run", "--db", dsn, "--tz", "UTC")
		if code != 0 {
			t.Fatalf("alerts run: exit %d: %s", code, stderr)
		}
		var cli freezer.AlertRun
		if err := json.Unmarshal([]byte(out), &cli); err != nil || cli.Overdue != 1 || cli.Sent["webhook"] != 1 || cli.Sent["email"] != 1 {
			t.Errorf("freezerd alerts run printed %q (%v), want one overdue alert sent by webhook and e-mail", out, err)
		}
		call(http.MethodPost, "/admin/alerts/run", nil) // the server publishes what the command line could not
		eventually(t, "the second product's MQTT alert", func() bool { return len(ha.on(alertsTopic)) == 2 })
		if !strings.Contains(ha.on(alertsTopic)[1], fmt.Sprintf(`"product_id":%v`, second["id"])) {
			t.Errorf("second MQTT alert = %s", ha.on(alertsTopic)[1])
		}
		if got := len(webhooks()); got != 2 {
			t.Errorf("webhook requests = %d, want 2", got)
		}
		eventually(t, "the overdue sensor showing 2", func() bool { return overdue() == float64(2) })
	})
}

// TestAlertsCommand: usage errors and a run on an empty database.
func TestAlertsCommand(t *testing.T) {
	dsn := testdb.SQLiteDSN(t)
	code, out, stderr := runCmd(t, nil, "", "alerts", "run", "--db", dsn)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var run freezer.AlertRun
	if err := json.Unmarshal([]byte(out), &run); err != nil || run.Overdue+run.DueSoon != 0 || run.Today.IsZero() {
		t.Errorf("output %q (%v), want an empty report", out, err)
	}
	for _, args := range [][]string{{"alerts"}, {"alerts", "send"}, {"alerts", "run", "--tz", "Mars/Olympus"}} {
		if code, _, _ := runCmd(t, nil, "", append(args, "--db", dsn)...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, stdout, _ := runCmd(t, nil, "", "help"); code != 0 || !strings.Contains(stdout, "freezerd alerts run") {
		t.Errorf("help does not list alerts run")
	}
	if code, _, stderr := runCmd(t, nil, "", "serve", "--db", dsn, "--http-addr", "127.0.0.1:0", "--mqtt-addr", "", "--alert-schedule", "when pigs fly"); code != 2 ||
		!strings.Contains(stderr, "alert-schedule") {
		t.Errorf("bad schedule: exit %d, %q", code, stderr)
	}
}
