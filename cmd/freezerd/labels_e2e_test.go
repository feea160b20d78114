package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/labeltest"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// TestLabelsEndToEnd prints every kind of label through the running
// server, reads each printed code back as a scanner would, publishes it as
// a scan over MQTT and checks that the hub did the right thing: a product
// label takes the product out, command cards switch the scanner's mode and
// undo, a box label is the target of a move, and a blank label answers
// "not used yet" until a product claims it.
func TestLabelsEndToEnd(t *testing.T) {
	labeltest.RequirePDFToPPM(t)
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot})
		reg, err := m.DB.RegisterUser(freezer.SystemContext(context.Background()), freezer.Registration{Email: "labels@example.com", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		call := func(method, path string, body any, want int) []byte {
			t.Helper()
			status, data := send(t, reg.Token, method, "http://"+m.HTTP.Addr()+"/api/v1"+path, body)
			if status != want {
				t.Fatalf("%s %s = %d %s, want %d", method, path, status, data, want)
			}
			return data
		}
		product := func(id int64) freezer.Product {
			t.Helper()
			var p freezer.Product
			json.Unmarshal(call(http.MethodGet, fmt.Sprintf("/products/%d", id), nil, http.StatusOK), &p)
			return p
		}

		var f freezer.Freezer
		json.Unmarshal(call(http.MethodPost, "/freezers", map[string]any{"name": "Garage", "number_boxes": 4}, http.StatusCreated), &f)
		var created struct {
			Credentials devices.Credentials `json:"credentials"`
		}
		json.Unmarshal(call(http.MethodPost, "/devices", map[string]any{"name": "door", "freezer_id": f.ID}, http.StatusCreated), &created)
		cr := created.Credentials

		// The scanner: publishes a code in its current mode and waits for the ack.
		opts := paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(cr.DeviceID).
			SetUsername(cr.Username).SetPassword(cr.Password).SetAutoReconnect(false)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		defer c.Disconnect(0)
		acks := make(chan devices.Ack, 8)
		c.Subscribe(cr.AckTopic, 1, func(_ paho.Client, msg paho.Message) {
			a, _ := devices.DecodeAck(msg.Payload())
			acks <- a
		}).WaitTimeout(5 * time.Second)
		seq := 0
		scan := func(code string) devices.Ack {
			t.Helper()
			seq++
			payload, _ := json.Marshal(devices.ScanMessage{ID: strconv.Itoa(seq), Code: code})
			c.Publish(cr.ScanTopic, 1, false, payload).WaitTimeout(5 * time.Second)
			select {
			case a := <-acks:
				return a
			case <-time.After(10 * time.Second):
				t.Fatalf("no ack for %s", code)
			}
			return devices.Ack{}
		}

		// 1. A product label, printed automatically on the household's
		// directory printer, takes the product out.
		call(http.MethodPut, fmt.Sprintf("/households/%d/printer", reg.Household.ID), map[string]any{"kind": "directory", "target": "door"}, http.StatusOK)
		var a freezer.Product
		json.Unmarshal(call(http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": 1, "name": "Pâté en croûte", "type_id": 1}, http.StatusCreated), &a)
		m.Spooler.Wait()
		files, _ := filepath.Glob(filepath.Join(m.Config.DataDir, "labels", fmt.Sprintf("household-%d", reg.Household.ID), "door", "*.png"))
		if len(files) != 1 {
			t.Fatalf("printed files: %v", files)
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		productCode := labeltest.MustDecodePNG(t, data).Text
		if png := call(http.MethodGet, fmt.Sprintf("/products/%d/label.png?size=29x90", a.ID), nil, http.StatusOK); labeltest.MustDecodePNG(t, png).Text != productCode {
			t.Errorf("the downloaded label and the printed one differ")
		}
		if ack := scan(productCode); ack.Status != freezer.ScanOK || ack.Op != freezer.OpOut || ack.Product != "Pâté en croûte" {
			t.Fatalf("scan of the printed label: %+v", ack)
		}
		if p := product(a.ID); p.Inside() {
			t.Fatalf("product still inside after its label was scanned: %+v", p)
		}

		// 2. Command cards: IN puts it back.
		commands := map[string]string{}
		for _, r := range labeltest.DecodeSheet(t, call(http.MethodGet, "/labels/commands.pdf", nil, http.StatusOK), labels.CommandSheet, 4) {
			commands[freezer.ParseCode(r.Text).Command] = r.Text
		}
		if ack := scan(commands[freezer.CommandIn]); ack.Status != freezer.ScanOK || ack.Op != freezer.OpMode {
			t.Fatalf("IN card: %+v", ack)
		}
		if ack := scan(productCode); ack.Status != freezer.ScanOK || ack.Op != freezer.OpIn {
			t.Fatalf("product label in IN mode: %+v", ack)
		}
		if p := product(a.ID); !p.Inside() || p.Box != 1 {
			t.Fatalf("after IN: %+v", p)
		}

		// 3. MOVE, the product, then a printed box label.
		sheet := labels.Sheet{Cols: 2, Rows: 2, MarginMM: 8}
		boxes := labeltest.DecodeSheet(t, call(http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf?cols=2&rows=2&margin=8", f.ID), nil, http.StatusOK), sheet, 4)
		if ack := scan(commands[freezer.CommandMove]); ack.Status != freezer.ScanOK || ack.Op != freezer.OpMode {
			t.Fatalf("MOVE card: %+v", ack)
		}
		if ack := scan(productCode); ack.Status != freezer.ScanOK || ack.Op != freezer.OpMove {
			t.Fatalf("product label in MOVE mode: %+v", ack)
		}
		if ack := scan(boxes[2].Text); ack.Status != freezer.ScanOK || ack.Op != freezer.OpMove {
			t.Fatalf("box 3 label: %+v", ack)
		}
		if p := product(a.ID); p.Box != 3 || p.FreezerID != f.ID || !p.Inside() {
			t.Fatalf("after the move: %+v", p)
		}

		// 4. UNDO reverts the move; OUT switches back.
		if ack := scan(commands[freezer.CommandUndo]); ack.Status != freezer.ScanOK || ack.Op != freezer.OpUndo {
			t.Fatalf("UNDO card: %+v", ack)
		}
		if p := product(a.ID); p.Box != 1 {
			t.Fatalf("after UNDO: %+v", p)
		}
		if ack := scan(commands[freezer.CommandOut]); ack.Status != freezer.ScanOK || ack.Op != freezer.OpMode {
			t.Fatalf("OUT card: %+v", ack)
		}

		// 5. A blank label: unknown until a product claims it, then that product.
		blank := labeltest.DecodeSheet(t, call(http.MethodPost, "/labels/blank?count=3", nil, http.StatusCreated), labels.DefaultSheet, 3)
		if ack := scan(blank[1].Text); ack.Status != freezer.ScanUnknown || ack.Msg != "blank label not used yet" {
			t.Fatalf("unused blank label: %+v", ack)
		}
		var b freezer.Product
		json.Unmarshal(call(http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": 2, "name": "Cassoulet", "type_id": 1,
			"label_code": blank[1].Text}, http.StatusCreated), &b)
		if got := freezer.ParseCode(blank[1].Text).ProductID; b.ID != got {
			t.Fatalf("product created with %s has id %d", blank[1].Text, b.ID)
		}
		if ack := scan(blank[1].Text); ack.Status != freezer.ScanOK || ack.Op != freezer.OpOut || ack.Product != "Cassoulet" {
			t.Fatalf("claimed blank label: %+v", ack)
		}
		if p := product(b.ID); p.Inside() {
			t.Fatalf("the blank label did not take its product out: %+v", p)
		}
		m.Spooler.Wait()
	})
}
