package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestDeviceAddCommand(t *testing.T) {
	dsn := testdb.SQLiteDSN(t)
	_, stdout, stderr := runCmd(t, nil, "", "user", "add", "--db", dsn, "--email", "d@example.com", "--password", "password1")
	var user struct {
		HouseholdID int64 `json:"household_id"`
	}
	if err := json.Unmarshal([]byte(stdout), &user); err != nil {
		t.Fatalf("user add: %q %q", stdout, stderr)
	}
	code, stdout, stderr := runCmd(t, nil, "", "device", "add", "--db", dsn, "--household", "1", "--name", "garage door", "--broker", "tcp://freezer.lan:1883")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var creds devices.Credentials
	if err := json.Unmarshal([]byte(stdout), &creds); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if creds.DeviceID == "" || creds.Username != creds.DeviceID || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(creds.Password) {
		t.Errorf("credentials = %+v", creds)
	}
	if got, want := creds.ScanTopic, "freezer/v1/dev/"+creds.DeviceID+"/scan"; got != want {
		t.Errorf("scan_topic = %q, want %q", got, want)
	}
	if !strings.Contains(creds.ScannerBridge, "--password "+creds.Password) || !strings.Contains(creds.ESPHome, `mqtt_broker: "freezer.lan"`) {
		t.Errorf("settings = %q / %q", creds.ScannerBridge, creds.ESPHome)
	}
	if d, err := testdb.MustOpen(t, dsn).AuthenticateDevice(context.Background(), creds.DeviceID, creds.Password); err != nil || d.Name != "garage door" {
		t.Errorf("the printed credentials do not authenticate: %v", err)
	}
	// Without --broker: the broker that serve's flags give devices.
	hostname, _ := os.Hostname()
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{env: map[string]string{"FREEZER_MQTT_PUBLIC_URL": "ssl://mqtt.example.org:8883"}, want: "ssl://mqtt.example.org:8883"},
		{args: []string{"--mqtt-addr", "192.0.2.7:2883"}, want: "tcp://192.0.2.7:2883"},
		{args: []string{"--mqtt-addr", ":2883"}, want: "tcp://" + net.JoinHostPort(hostname, "2883")},
	} {
		args := append([]string{"device", "add", "--db", dsn, "--household", "1", "--name", "door"}, tt.args...)
		code, stdout, stderr := runCmd(t, tt.env, "", args...)
		var got devices.Credentials
		if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil || got.Broker != tt.want {
			t.Errorf("device add %v %v: exit %d, broker %q, want %q (%s)", tt.env, tt.args, code, got.Broker, tt.want, stderr)
		}
	}
	for _, args := range [][]string{{"device"}, {"device", "add", "--name", "x"}, {"device", "add", "--household", "1"}} {
		if code, _, _ := runCmd(t, nil, "", append(args, "--db", dsn)...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := runCmd(t, nil, "", "device", "add", "--db", dsn, "--household", "1", "--name", "x", "--mode", "sideways"); code != 1 || !strings.Contains(stderr, "mode") {
		t.Errorf("bad mode: exit %d, %q", code, stderr)
	}
}

// TestDeviceThroughAPIAndBroker: a device registered through the v1 API
// connects to the embedded broker, scans a label and gets its ack; revoked
// through the API, it is disconnected at once and cannot come back.
func TestDeviceThroughAPIAndBroker(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot})
		ctx := freezer.SystemContext(context.Background())
		reg, f := mustHousehold(t, m.DB, freezer.Registration{Email: "api@example.com", Password: "password1"}, "chest", 2)
		p := &freezer.Product{FreezerID: f.ID, Box: 1, Name: "Ratatouille", TypeID: 21, DateIn: freezer.DateOf(time.Now()), PeriodMonths: 6}
		if err := m.DB.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		api := func(method, path string, body any) *http.Response {
			t.Helper()
			var buf bytes.Buffer
			if body != nil {
				json.NewEncoder(&buf).Encode(body)
			}
			req, _ := http.NewRequest(method, "http://"+m.HTTP.Addr()+"/api/v1"+path, &buf)
			req.Header.Set("Authorization", "Bearer "+reg.Token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		resp := api(http.MethodPost, "/devices", map[string]any{"name": "door", "freezer_id": f.ID})
		var created struct {
			Device      freezer.Device      `json:"device"`
			Credentials devices.Credentials `json:"credentials"`
		}
		json.NewDecoder(resp.Body).Decode(&created)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || created.Credentials.Password == "" {
			t.Fatalf("POST /devices = %d %+v", resp.StatusCode, created)
		}
		if _, port, _ := net.SplitHostPort(m.Broker.TCPAddr()); created.Credentials.Broker != "tcp://127.0.0.1:"+port {
			t.Errorf("broker in the credentials = %q, want the embedded broker's port %s", created.Credentials.Broker, port)
		}

		lost := make(chan error, 1)
		opts := paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(created.Device.ID).
			SetUsername(created.Credentials.Username).SetPassword(created.Credentials.Password).SetAutoReconnect(false).
			SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("connect with the API's credentials: %v", tok.Error())
		}
		acks := make(chan devices.Ack, 4)
		c.Subscribe(created.Credentials.AckTopic, 1, func(_ paho.Client, msg paho.Message) {
			a, _ := devices.DecodeAck(msg.Payload())
			acks <- a
		}).WaitTimeout(5 * time.Second)
		payload, _ := json.Marshal(devices.ScanMessage{ID: "1", Code: freezer.ProductCode(p.ID)})
		c.Publish(created.Credentials.ScanTopic, 1, false, payload).WaitTimeout(5 * time.Second)
		select {
		case a := <-acks:
			if a.Status != freezer.ScanOK || a.Op != freezer.OpOut || a.Product != "Ratatouille" {
				t.Errorf("ack = %+v", a)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no ack")
		}

		// A mode set through the API reaches the scanner as a command card's does.
		modes := make(chan string, 1)
		c.Subscribe(devices.Topics{Root: devices.DefaultRoot}.SetMode(created.Device.ID), 1, func(_ paho.Client, msg paho.Message) {
			modes <- string(msg.Payload())
		}).WaitTimeout(5 * time.Second)
		if resp := api(http.MethodPatch, "/devices/"+created.Device.ID, map[string]any{"mode": "in"}); resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH device mode = %d", resp.StatusCode)
		}
		select {
		case mode := <-modes:
			if mode != freezer.ModeIn {
				t.Errorf("mode message %q, want %q", mode, freezer.ModeIn)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the mode set through the API never reached the scanner")
		}

		resp = api(http.MethodGet, "/devices", nil)
		var list struct{ Items []freezer.Device }
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list.Items) != 1 || !list.Items[0].Online || list.Items[0].LastSeenAt == nil {
			t.Errorf("devices = %+v, want one online device", list.Items)
		}

		if resp := api(http.MethodDelete, "/devices/"+created.Device.ID, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE device = %d", resp.StatusCode)
		}
		select {
		case <-lost:
		case <-time.After(5 * time.Second):
			t.Fatal("a revoked device stayed connected")
		}
		again := paho.NewClient(opts.SetConnectionLostHandler(nil))
		if tok := again.Connect(); tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
			again.Disconnect(0)
			t.Error("a revoked device connected again")
		}
	})
}
