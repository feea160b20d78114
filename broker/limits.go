package broker

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
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

	mu       sync.Mutex
	total    int
	pending  map[net.Conn]string // connections not yet authenticated → their IP
	perHost  map[string]int      // IP → its connections in pending
	starting int                 // admitted connections mochi has not read from yet
	closing  bool                // the broker is closing: admit nothing more
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
	if l.closing || l.total >= l.max || l.perHost[ip] >= l.perIP {
		return false
	}
	l.total++
	l.starting++
	l.pending[c] = ip
	l.perHost[ip]++
	return true
}

// started counts out a connection mochi began to read, or gave up on.
func (l *connLimits) started() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.starting--
}

// close admits no more connections and waits (up to wait) until mochi has
// begun reading every admitted one: mochi counts a connection in when it
// starts on it, and closing the server meanwhile races with that count.
func (l *connLimits) close(wait time.Duration) {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		n := l.starting
		l.mu.Unlock()
		if n <= 0 {
			return
		}
	}
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
		sc := &startedConn{Conn: c, started: l.limits.started}
		if !l.limits.admit(sc) {
			return c.Close()
		}
		defer l.limits.release(sc)
		defer sc.start() // when mochi returns without reading
		if l.limits.timeout > 0 {
			_ = c.SetDeadline(time.Now().Add(l.limits.timeout))
		}
		return ordinaryEnd(establish(id, sc))
	})
}

// ordinaryEnd drops the error of a connection that simply ended (the
// device disconnected or closed it), which the listener would log as a
// warning; mochi has logged its end at debug level already.
func ordinaryEnd(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, packets.CodeDisconnect) {
		return nil
	}
	return err
}

// startedConn tells the limits when mochi first reads from it.
type startedConn struct {
	net.Conn
	once    sync.Once
	started func()
}

func (c *startedConn) start() { c.once.Do(c.started) }

func (c *startedConn) Read(p []byte) (int, error) {
	c.start()
	return c.Conn.Read(p)
}
