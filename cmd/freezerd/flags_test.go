package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

func TestParseCIDRs(t *testing.T) {
	nets, err := parseCIDRs("--x", " 10.0.0.0/8, 192.168.1.7 ,::1,")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(nets), 3; got != want {
		t.Fatalf("networks = %d, want %d", got, want)
	}
	if got, want := nets[1].String(), "192.168.1.7/32"; got != want {
		t.Errorf("bare IPv4 = %s, want %s", got, want)
	}
	if got, want := nets[2].String(), "::1/128"; got != want {
		t.Errorf("bare IPv6 = %s, want %s", got, want)
	}
	if _, err := parseCIDRs("--x", "10.0.0.0/33"); err == nil {
		t.Error("a bad network was accepted")
	}
}

// TestLegacyRateLimitFlag: --legacy-rate-minute sets the legacy API's limit.
func TestLegacyRateLimitFlag(t *testing.T) {
	base, _ := startServer(t, ServeConfig{LegacyPerMinute: 2})
	var codes []int
	for range 3 {
		resp, err := http.Get(base + "/check_token/nope")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != http.StatusBadRequest || codes[1] != http.StatusBadRequest || codes[2] != http.StatusTooManyRequests {
		t.Errorf("statuses = %v, want 400, 400, 429", codes)
	}
}

// TestAuthFailuresPerMinute: an address that failed to sign in too often
// is refused for the rest of the minute on the v1 API, even with a good
// token; on the embedded broker the device that failed is refused, even
// with its right password, while another device behind the same address
// (a household's NAT) still connects.
func TestAuthFailuresPerMinute(t *testing.T) {
	m, _ := startServing(t, ServeConfig{MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot, AuthFailures: 3})
	ctx := freezer.SystemContext(context.Background())
	reg, err := m.DB.RegisterUser(ctx, freezer.Registration{Email: "guess@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, "http://"+m.HTTP.Addr()+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(reg.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("good token: %d, want 200", resp.StatusCode)
	}
	for i := range 3 {
		if resp := get(fmt.Sprintf("wrong-%d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401", i, resp.StatusCode)
		}
	}
	if resp := get(reg.Token); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("good token after 3 failures: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door"}
	password, err := m.DB.CreateDevice(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	other := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "garage"}
	otherPassword, err := m.DB.CreateDevice(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	dialAs := func(id, pw string) error {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(id).
			SetUsername(id).SetPassword(pw).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
		tok := c.Connect()
		if !tok.WaitTimeout(5 * time.Second) {
			return fmt.Errorf("timeout")
		}
		if tok.Error() == nil {
			c.Disconnect(0)
		}
		return tok.Error()
	}
	dial := func(pw string) error { return dialAs(d.ID, pw) }
	if err := dial(password); err != nil {
		t.Fatalf("the device's own credentials: %v", err)
	}
	for i := range 3 {
		if err := dial("wrong"); err == nil {
			t.Fatalf("wrong password %d accepted", i)
		}
	}
	if err := dial(password); err == nil {
		t.Error("the right password was accepted right after 3 failures from this address")
	}
	if err := dialAs(other.ID, otherPassword); err != nil {
		t.Errorf("another device behind the same address: %v", err)
	}
}
