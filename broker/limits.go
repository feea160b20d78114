package broker

import (
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// Defaults of the connection limits.
const (
	// DefaultConnectTimeout bounds the time from accepting a connection to
	// reading its whole CONNECT packet (and, for TLS, the handshake).
	DefaultConnectTimeout = 10 * time.Second
	// DefaultMaxConnections bounds the broker's connections, well below the
	// file limit, so that the HTTP server keeps its sockets.
	DefaultMaxConnections = 4096
	// DefaultMaxPendingPerIP bounds the connections of one IP address that
	// have not authenticated yet.
	DefaultMaxPendingPerIP = 16
)

// connLimits admits connections: at most max in all, at most perIP not yet
// authenticated from one address, and each must send its CONNECT within
// timeout. Its maps hold only live connections, so they are bounded by max.
type connLimits struct {
	max, perIP int
	timeout    time.Duration

	mu      sync.Mutex
	total   int
	pending map[net.Conn]string // connections not yet authenticated → their IP
	perHost map[string]int      // IP → its connections in pending
}

func newConnLimits(max, perIP int, timeout time.Duration) *connLimits {
	return &connLimits{max: max, perIP: perIP, timeout: timeout, pending: map[net.Conn]string{}, perHost: map[string]int{}}
}

// admit counts a new connection in, or reports that it must be closed.
func (l *connLimits) admit(c net.Conn) bool {
	ip := c.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max || l.perHost[ip] >= l.perIP {
		return false
	}
	l.total++
	l.pending[c] = ip
	l.perHost[ip]++
	return true
}

// authenticated stops counting c against its address's pending connections.
func (l *connLimits) authenticated(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unpend(c)
}

// release counts a closed connection out.
func (l *connLimits) release(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unpend(c)
	l.total--
}

func (l *connLimits) unpend(c net.Conn) {
	ip, ok := l.pending[c]
	if !ok {
		return
	}
	delete(l.pending, c)
	if l.perHost[ip]--; l.perHost[ip] <= 0 {
		delete(l.perHost, ip)
	}
}

// limitedListener is a mochi listener whose connections pass connLimits.
// mochi reads a CONNECT without a deadline, and sets the keep-alive
// deadline only once it has one: until then the connect timeout holds.
type limitedListener struct {
	listeners.Listener
	limits *connLimits
}

// Serve serves the listener's connections through the limits.
func (l limitedListener) Serve(establish listeners.EstablishFn) {
	l.Listener.Serve(func(id string, c net.Conn) error {
		if !l.limits.admit(c) {
			return c.Close()
		}
		defer l.limits.release(c)
		if l.limits.timeout > 0 {
			_ = c.SetDeadline(time.Now().Add(l.limits.timeout))
		}
		return establish(id, c)
	})
}
