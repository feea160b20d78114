package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

// TestPrivateTargetsRefusedByDefault: a household that points its printer
// at the server's own network (here a loopback web server, and a closed
// loopback port for a ZPL printer) reaches neither, reads nothing of the
// answer in its print jobs, and is told how the operator allows it.
func TestPrivateTargetsRefusedByDefault(t *testing.T) {
	reached := make(chan string, 10)
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.URL.Path
		io.WriteString(w, "internal admin page")
	}))
	defer internal.Close()
	m, _ := startServing(t, ServeConfig{MQTTAddr: ""})
	reg, err := m.DB.RegisterUser(freezer.SystemContext(context.Background()), freezer.Registration{Email: "ssrf@example.com", Password: "password1"})
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
	var f freezer.Freezer
	json.Unmarshal(call(http.MethodPost, "/freezers", map[string]any{"name": "Garage", "number_boxes": 2}, http.StatusCreated), &f)
	var p freezer.Product
	json.Unmarshal(call(http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": 1, "name": "Soup", "type_id": 1,
		"date_in": time.Now().Format(time.DateOnly), "period_months": 3}, http.StatusCreated), &p)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	h := reg.Household.ID
	for _, printer := range []map[string]any{
		{"kind": "webhook", "target": internal.URL + "/admin"},
		{"kind": "tcp", "target": closedAddr},
	} {
		call(http.MethodPut, fmt.Sprintf("/households/%d/printer", h), printer, http.StatusOK)
		var job freezer.PrintJob
		json.Unmarshal(call(http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil, http.StatusCreated), &job)
		for i := 0; i < 100 && job.Status == freezer.PrintPending; i++ {
			time.Sleep(50 * time.Millisecond)
			var jobs []freezer.PrintJob
			json.Unmarshal(call(http.MethodGet, "/print-jobs", nil, http.StatusOK), &jobs)
			for _, j := range jobs {
				if j.ID == job.ID {
					job = j
				}
			}
		}
		if job.Status != freezer.PrintFailed || !strings.Contains(job.Error, "refused to connect to 127.0.0.1") ||
			!strings.Contains(job.Error, "--allow") || strings.Contains(job.Error, "connection refused") || strings.Contains(job.Error, "admin page") {
			t.Errorf("%s printer: job %s %q, want failed as refused, saying how to allow it", printer["kind"], job.Status, job.Error)
		}
	}
	select {
	case path := <-reached:
		t.Errorf("the loopback server was reached at %s", path)
	default:
	}
}

// TestHTTPAnswersWhenMQTTFull: sockets that never authenticate fill the
// broker's connections, and the HTTP server still answers.
func TestHTTPAnswersWhenMQTTFull(t *testing.T) {
	m, _ := startServing(t, ServeConfig{MQTTAddr: "127.0.0.1:0", MQTTMaxConnections: 5, MQTTMaxPendingPerIP: 100, MQTTConnectTimeout: time.Minute})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", m.Broker.TCPAddr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.Write([]byte{0x10, 0x20})
	}
	// Checked all at once: the broker admits connections in no set order.
	refused := make(chan bool, len(conns))
	for _, c := range conns {
		go func() {
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, err := c.Read(make([]byte, 1))
			refused <- err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
		}()
	}
	n := 0
	for range conns {
		if <-refused {
			n++
		}
	}
	if n != 15 {
		t.Errorf("%d of 20 sockets refused, want 15 beyond --mqtt-max-connections 5", n)
	}
	resp, err := http.Get("http://" + m.HTTP.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d with the broker full", resp.StatusCode)
	}
}
