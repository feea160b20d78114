package testnet

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a server, and fails like a network or a
// process: Cut closes every connection (as the kernel does for a killed
// process), Freeze keeps them open but forwards nothing more (a cable pulled,
// a machine frozen), Restore lets new connections through again.
type Proxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool

	mu     sync.Mutex
	links  []*link
	closed chan time.Time // when the server closed a frozen connection
}

type link struct {
	client, server net.Conn
	frozen         atomic.Bool
}

// NewProxy listens on a free loopback port and forwards to target until the test ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, closed: make(chan time.Time, 16)}
	go p.serve()
	tb.Cleanup(func() { ln.Close(); p.Cut() })
	return p
}

// Addr is the proxy's address, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		l := &link{client: client, server: server}
		p.mu.Lock()
		p.links = append(p.links, l)
		p.mu.Unlock()
		go func() {
			pipe(l, server, client)
			if !l.frozen.Load() {
				server.Close()
			}
		}()
		go func() {
			pipe(l, client, server)
			if l.frozen.Load() {
				p.closed <- time.Now()
			}
			client.Close()
		}()
	}
}

// pipe copies src to dst until src ends; once the link is frozen it reads
// on and drops what it reads.
func pipe(l *link, dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Cut closes every connection and refuses new ones.
func (p *Proxy) Cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.client.Close()
		l.server.Close()
	}
	p.links = nil
}

// Freeze refuses new connections and stops forwarding on the open ones,
// which stay open until the server closes them.
func (p *Proxy) Freeze() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.frozen.Store(true)
		l.client.Close() // the client side is gone; the server side sees nothing
	}
}

// ServerClosed returns when the server closed a frozen connection.
func (p *Proxy) ServerClosed() <-chan time.Time { return p.closed }

// Restore lets new connections through.
func (p *Proxy) Restore() { p.down.Store(false) }
