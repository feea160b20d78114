package main

import (
	"net/http"
	"testing"
)

func TestParseCIDRs(t *testing.T) {
	nets, err := parseCIDRs(" 10.0.0.0/8, 192.168.1.7 ,::1,")
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
	if _, err := parseCIDRs("10.0.0.0/33"); err == nil {
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
