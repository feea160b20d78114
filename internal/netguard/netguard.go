// Package netguard keeps the connections the server makes on behalf of a
// household (printers, webhooks, SMTP servers) away from the server's own
// network: loopback, private, link-local (cloud metadata), multicast and
// unspecified addresses are refused unless the operator allows them.
//
// The check runs when the connection is made, on the address DNS gave, so
// a name that resolves to 127.0.0.1, or a second answer that does, is
// refused too.
package netguard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Guard decides which addresses outbound connections may reach.
type Guard struct {
	// AllowPrivate lets connections reach every address (--allow-private-targets).
	AllowPrivate bool
	// Allowed are networks reachable although they are private (--allowed-target-networks),
	// such as a home LAN's printer at 192.168.1.0/24.
	Allowed []netip.Prefix
}

// RefusedError says which address a connection was refused and why.
type RefusedError struct {
	Addr netip.Addr
	Kind string // "loopback", "private", …
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s, a %s address: the server's operator can allow it with "+
		"--allowed-target-networks %s (or --allow-private-targets)", e.Addr, e.Kind, netip.PrefixFrom(e.Addr, e.Addr.BitLen()))
}

// kind names the class of an address a household may not reach, or "".
func kind(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	case a.IsPrivate(), sharedAddressSpace.Contains(a):
		return "private"
	case a == broadcast:
		return "broadcast"
	}
	return ""
}

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT (RFC 6598)
	broadcast          = netip.MustParseAddr("255.255.255.255")
)

// Check returns a *RefusedError when a connection may not reach addr.
func (g *Guard) Check(addr netip.Addr) error {
	if g == nil || g.AllowPrivate {
		return nil
	}
	addr = addr.Unmap()
	k := kind(addr)
	if k == "" {
		return nil
	}
	for _, p := range g.Allowed {
		if p.Contains(addr) {
			return nil
		}
	}
	return &RefusedError{Addr: addr, Kind: k}
}

// control checks the address a socket is about to connect to.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: %w", err)
	}
	return g.Check(ap.Addr())
}

// Dialer returns a dialer that refuses what the guard refuses.
func (g *Guard) Dialer() *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if g != nil && !g.AllowPrivate {
		d.Control = g.control
	}
	return d
}

// DialContext connects like net.Dialer.DialContext, refusing what the guard refuses.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return g.Dialer().DialContext(ctx, network, address)
}

// HTTPClient returns a client that connects through the guard, uses no
// proxy from the environment (the proxy would connect for us, unchecked)
// and never follows a redirect.
func (g *Guard) HTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = g.DialContext
	return &http.Client{
		Timeout:       timeout,
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
