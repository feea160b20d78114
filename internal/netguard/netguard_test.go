package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/internal/netguard"
)

func TestCheck(t *testing.T) {
	g := &netguard.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}}
	for _, tc := range []struct {
		desc, addr string
		refused    bool
	}{
		{"loopback", "127.0.0.1", true},
		{"loopback elsewhere", "127.8.9.10", true},
		{"IPv6 loopback", "::1", true},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", true},
		{"private 10/8", "10.1.2.3", true},
		{"private 172.16/12", "172.20.0.1", true},
		{"private 192.168/16", "192.168.2.1", true},
		{"allowed network", "192.168.1.40", false},
		{"cloud metadata", "169.254.169.254", true},
		{"IPv6 link-local", "fe80::1", true},
		{"IPv6 unique local", "fd00::1", true},
		{"multicast", "224.0.0.1", true},
		{"unspecified", "0.0.0.0", true},
		{"IPv6 unspecified", "::", true},
		{"carrier-grade NAT", "100.64.0.1", true},
		{"public", "93.184.216.34", false},
		{"public IPv6", "2606:4700::1111", false},
	} {
		err := g.Check(netip.MustParseAddr(tc.addr))
		if got := err != nil; got != tc.refused {
			t.Errorf("%s: Check(%s) = %v, want refused %v", tc.desc, tc.addr, err, tc.refused)
		}
	}
	if err := (&netguard.Guard{AllowPrivate: true}).Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("AllowPrivate refused loopback: %v", err)
	}
}

// A name that resolves to a loopback address is refused when connecting,
// and the error tells the operator how to allow it.
func TestDialRefusesAfterDNS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	g := &netguard.Guard{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = g.DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	var refused *netguard.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("dial localhost: %v, want a RefusedError", err)
	}
	if !strings.Contains(err.Error(), "--allowed-target-networks") {
		t.Errorf("error %q does not say how to allow it", err)
	}
	conn, err := (&netguard.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}).
		DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial an allowed network: %v", err)
	}
	conn.Close()
}

func TestHTTPClientFollowsNoRedirect(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer redirect.Close()
	c := (&netguard.Guard{AllowPrivate: true}).HTTPClient(5 * time.Second)
	resp, err := c.Get(redirect.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the redirect itself", resp.StatusCode)
	}
	if _, err := (&netguard.Guard{}).HTTPClient(5 * time.Second).Get(target.URL); err == nil {
		t.Error("the guarded client reached a loopback server")
	}
}
