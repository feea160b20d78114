package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestOneCalendar runs a product's life on both sides of UTC's change of
// day, with the server's clock fixed: every door (the v1 API, the legacy
// API, a scanner, the alert job, the dashboard's /me) agrees on the day of
// --tz, never on UTC's.
func TestOneCalendar(t *testing.T) {
	zones := []struct {
		desc, tz string
		local    [5]int // year, month, day, hour, minute on the server's wall clock
		day      string // the server's day
		// What the alert job finds for a product whose use-by day is
		// useByDelta days from the server's day: UTC's day differs, and
		// would give the other answer.
		useByDelta       int
		overdue, dueSoon float64
	}{
		{desc: "west of UTC at 23:30", tz: "America/Los_Angeles", local: [5]int{2026, 3, 14, 23, 30}, day: "2026-03-14",
			useByDelta: 0, overdue: 0, dueSoon: 1},
		{desc: "east of UTC at 00:30", tz: "Europe/Brussels", local: [5]int{2026, 3, 15, 0, 30}, day: "2026-03-15",
			useByDelta: -1, overdue: 1, dueSoon: 0},
	}
	for _, z := range zones {
		t.Run(z.desc, func(t *testing.T) {
			loc, err := time.LoadLocation(z.tz)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(z.local[0], time.Month(z.local[1]), z.local[2], z.local[3], z.local[4], 0, 0, loc)
			if freezer.DateOf(now.UTC()).String() == z.day {
				t.Fatalf("%v: UTC's day is the server's day; the test would prove nothing", now)
			}
			testdb.Dialects(t, func(t *testing.T, dsn string) {
				testOneCalendar(t, dsn, z.tz, now, z.day, z.useByDelta, z.overdue, z.dueSoon)
			})
		})
	}
}

func testOneCalendar(t *testing.T, dsn, tz string, now time.Time, day string, useByDelta int, overdue, dueSoon float64) {
	m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
		AlertSchedule: "off", TZ: tz, Now: func() time.Time { return now }})
	code, out, stderr := runCmd(t, nil, "", "user", "add", "--db", dsn, "--email", "cal@example.com", "--password", "password1", "--admin")
	if code != 0 {
		t.Fatalf("user add: %s", stderr)
	}
	var user struct {
		HouseholdID int64  `json:"household_id"`
		Token       string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &user); err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.HTTP.Addr()
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		return callJSON(t, user.Token, method, base+"/api/v1"+path, body)
	}

	if me := call(http.MethodGet, "/me", nil); me["today"] != day {
		t.Errorf("GET /me today = %v, want %s", me["today"], day)
	}
	f := call(http.MethodPost, "/freezers", map[string]any{"name": "Garage", "number_boxes": 2})
	fid := int64(f["id"].(float64))

	// v1: a product put in without date_in went in today; taken out without a date, today.
	p := call(http.MethodPost, "/products", map[string]any{"freezer_id": fid, "box": 1, "name": "Soup", "type_id": 1, "period_months": 6})
	if p["date_in"] != day {
		t.Errorf("date_in by default = %v, want %s", p["date_in"], day)
	}
	p = call(http.MethodPost, fmt.Sprintf("/products/%v/take-out", p["id"]), nil)
	if p["date_out"] != day {
		t.Errorf("date_out by default = %v, want %s", p["date_out"], day)
	}

	// Legacy: a product put in on the server's day is not in the future.
	legacy := map[string]any{"product_name": "Stew", "text_descr": "", "freezer_id": fid, "type_id": 1, "date_in": day,
		"period": 6, "box_num": 2, "prod_num": 1, "quantity": 1}
	req, _ := http.NewRequest(http.MethodPost, base+"/add_product/"+user.Token, bytes.NewReader(must(json.Marshal(legacy))))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("legacy add_product on the server's day: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// A scan takes a product out on the server's day.
	scanned := call(http.MethodPost, "/products", map[string]any{"freezer_id": fid, "box": 2, "name": "Peas", "type_id": 1, "period_months": 6})
	code, out, stderr = runCmd(t, nil, "", "device", "add", "--db", dsn, "--household", strconv.FormatInt(user.HouseholdID, 10),
		"--name", "door", "--broker", "tcp://"+m.Broker.TCPAddr())
	if code != 0 {
		t.Fatalf("device add: %s", stderr)
	}
	var creds devices.Credentials
	if err := json.Unmarshal([]byte(out), &creds); err != nil {
		t.Fatal(err)
	}
	acks := make(chan paho.Message, 1)
	client := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(creds.DeviceID).
		SetUsername(creds.Username).SetPassword(creds.Password).SetAutoReconnect(false))
	if tok := client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("scanner connects: %v", tok.Error())
	}
	t.Cleanup(func() { client.Disconnect(0) })
	if tok := client.Subscribe(creds.AckTopic, 1, func(_ paho.Client, msg paho.Message) { acks <- msg }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	scan := fmt.Sprintf(`{"id":"cal-1","code":"FZ-I-%06d"}`, int64(scanned["id"].(float64)))
	if tok := client.Publish(creds.ScanTopic, 1, false, scan); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case msg := <-acks:
		var ack devices.Ack
		if err := json.Unmarshal(msg.Payload(), &ack); err != nil || ack.Status != freezer.ScanOK {
			t.Fatalf("ack = %s (%v)", msg.Payload(), err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ack")
	}
	if got := call(http.MethodGet, fmt.Sprintf("/products/%v", scanned["id"]), nil); got["date_out"] != day {
		t.Errorf("date_out by scan = %v, want %s", got["date_out"], day)
	}

	// The alert job counts stages on the server's day.
	useBy := freezer.MustParseDate(day).AddDays(useByDelta)
	call(http.MethodPost, "/products", map[string]any{"freezer_id": fid, "box": 1, "name": "Lasagne", "type_id": 1,
		"date_in": useBy.AddMonths(-1).String(), "period_months": 1})
	run := call(http.MethodPost, "/admin/alerts/run", nil)
	if run["today"] != day || run["overdue"] != overdue || run["due_soon"] != dueSoon {
		t.Errorf("alert run = %v, want today %s, %v overdue, %v due soon", run, day, overdue, dueSoon)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
