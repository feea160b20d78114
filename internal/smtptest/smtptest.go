// Package smtptest runs a tiny SMTP server on 127.0.0.1 for tests: enough
// of RFC 5321 for net/smtp (EHLO, optional STARTTLS, AUTH PLAIN, MAIL,
// RCPT, DATA, RSET, NOOP, QUIT), keeping each message it receives.
package smtptest

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	Helo     string
	TLS      bool     // the session was upgraded with STARTTLS
	Username string   // from AUTH PLAIN, "" without AUTH
	Password string   // from AUTH PLAIN
	From     string   // MAIL FROM
	To       []string // RCPT TO, in order
	Data     []byte   // the message, dot-unstuffed, with CRLF line ends
}

// Server is a running test SMTP server.
type Server struct {
	Addr     string // host:port
	Messages chan Message

	// Settings; set them before the first connection.
	TLSConfig *tls.Config // offer STARTTLS with this configuration when set
	Username  string      // AUTH PLAIN must give these when Username is set
	Password  string

	ln net.Listener
	wg sync.WaitGroup
}

// Start runs a server on a free loopback port until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), Messages: make(chan Message, 100), ln: ln}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// Port returns the server's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			s.serve(conn)
		}()
	}
}

// session is one connection's state.
type session struct {
	conn net.Conn
	tp   *textproto.Conn
	msg  Message
}

func (s *Server) serve(conn net.Conn) {
	ss := &session{conn: conn, tp: textproto.NewConn(conn)}
	_ = ss.tp.PrintfLine("220 smtptest ready")
	for {
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ss.msg.Helo = arg
			ext := []string{"250-smtptest", "250-8BITMIME"}
			if s.TLSConfig != nil && !ss.msg.TLS {
				ext = append(ext, "250-STARTTLS")
			}
			ext = append(ext, "250 AUTH PLAIN")
			for _, l := range ext {
				_ = ss.tp.PrintfLine("%s", l)
			}
		case "STARTTLS":
			if s.TLSConfig == nil || ss.msg.TLS {
				_ = ss.tp.PrintfLine("502 not available")
				continue
			}
			_ = ss.tp.PrintfLine("220 go ahead")
			tc := tls.Server(ss.conn, s.TLSConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			ss.conn, ss.tp = tc, textproto.NewConn(tc)
			ss.msg = Message{TLS: true}
		case "AUTH":
			s.auth(ss, arg)
		case "MAIL":
			if s.Username != "" && ss.msg.Username == "" {
				_ = ss.tp.PrintfLine("530 authentication required")
				continue
			}
			ss.msg.From = address(arg)
			_ = ss.tp.PrintfLine("250 ok")
		case "RCPT":
			ss.msg.To = append(ss.msg.To, address(arg))
			_ = ss.tp.PrintfLine("250 ok")
		case "DATA":
			_ = ss.tp.PrintfLine("354 end with a dot")
			data, err := ss.tp.ReadDotBytes()
			if err != nil {
				return
			}
			m := ss.msg
			m.Data = []byte(strings.ReplaceAll(string(data), "\n", "\r\n"))
			s.Messages <- m
			ss.msg = Message{Helo: ss.msg.Helo, TLS: ss.msg.TLS, Username: ss.msg.Username, Password: ss.msg.Password}
			_ = ss.tp.PrintfLine("250 queued")
		case "RSET":
			ss.msg.From, ss.msg.To = "", nil
			_ = ss.tp.PrintfLine("250 ok")
		case "NOOP":
			_ = ss.tp.PrintfLine("250 ok")
		case "QUIT":
			_ = ss.tp.PrintfLine("221 bye")
			return
		default:
			_ = ss.tp.PrintfLine("502 unknown command")
		}
	}
}

// auth checks AUTH PLAIN, given on the line or after a 334 prompt.
func (s *Server) auth(ss *session, arg string) {
	mech, initial, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		_ = ss.tp.PrintfLine("504 only PLAIN")
		return
	}
	if initial == "" {
		_ = ss.tp.PrintfLine("334 ")
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		initial = line
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		_ = ss.tp.PrintfLine("501 bad PLAIN response")
		return
	}
	if s.Username != "" && (parts[1] != s.Username || parts[2] != s.Password) {
		_ = ss.tp.PrintfLine("535 authentication failed")
		return
	}
	ss.msg.Username, ss.msg.Password = parts[1], parts[2]
	_ = ss.tp.PrintfLine("235 authenticated")
}

// address reads "FROM:<a@b>" or "TO:<a@b> PARAMS".
func address(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest = strings.TrimSpace(rest)
	if i := strings.IndexByte(rest, '>'); strings.HasPrefix(rest, "<") && i > 0 {
		return rest[1:i]
	}
	return rest
}

// SelfSigned returns a server TLS configuration for 127.0.0.1 and
// localhost, and a pool that trusts it, for STARTTLS tests.
func SelfSigned(tb testing.TB) (*tls.Config, *x509.CertPool) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}

// Header returns the value of a header of a message, unfolded.
func (m Message) Header(name string) string {
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(string(m.Data))))
	h, _ := r.ReadMIMEHeader()
	return h.Get(name)
}

// Body returns the message's body, after the blank line that ends its headers.
func (m Message) Body() string {
	_, body, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	return body
}
