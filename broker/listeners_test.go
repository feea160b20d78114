package broker_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testnet"
)

// oneDevice lets in the scanner "scanner-tls" with the password "secret".
type oneDevice struct{}

func (oneDevice) AuthenticateDevice(_ context.Context, id, password string) (*freezer.Device, error) {
	if id != "scanner-tls" || password != "secret" {
		return nil, freezer.Errorf(freezer.EUNAUTHORIZED, "no")
	}
	return &freezer.Device{ID: id, Kind: freezer.DeviceScanner, HouseholdID: 1}, nil
}

func (oneDevice) SetDeviceOnline(context.Context, string, bool) error { return nil }

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "freezer test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestTLSAndWebSocketListeners: a device reaches the broker over TLS and
// over WebSocket, authenticates, and receives what is published to it.
func TestTLSAndWebSocketListeners(t *testing.T) {
	cert, pool := selfSigned(t)
	b, err := broker.New(broker.Config{TLSAddr: "127.0.0.1:0", WebSocketAddr: testnet.FreeAddr(t),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, oneDevice{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if b.TCPAddr() != "" {
		t.Errorf("a plain TCP listener runs without --mqtt-addr: %s", b.TCPAddr())
	}
	topics := devices.Topics{Root: devices.DefaultRoot}
	for _, url := range []string{"ssl://" + b.ListenerAddr("tls"), "ws://" + b.ListenerAddr("ws") + "/"} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			opts := paho.NewClientOptions().AddBroker(url).SetClientID("scanner-tls").SetUsername("scanner-tls").SetPassword("secret").
				SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
			c := paho.NewClient(opts)
			deadline := time.Now().Add(5 * time.Second)
			var tok paho.Token
			for { // the WebSocket listener starts serving asynchronously
				tok = c.Connect()
				if tok.WaitTimeout(5*time.Second) && tok.Error() == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if tok.Error() != nil {
				t.Fatalf("connect over %s: %v", url, tok.Error())
			}
			defer c.Disconnect(100)
			got := make(chan string, 1)
			c.Subscribe(topics.Ack("scanner-tls"), 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) }).WaitTimeout(5 * time.Second)
			if err := b.Publish(topics.Ack("scanner-tls"), []byte(`{"id":"x","status":"ok"}`), false); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-got:
				if !strings.Contains(p, `"status":"ok"`) {
					t.Errorf("received %q", p)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("nothing received")
			}

			wrong := paho.NewClient(opts.SetPassword("wrong"))
			if tok := wrong.Connect(); tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
				wrong.Disconnect(0)
				t.Errorf("a wrong password was accepted over %s", url)
			}
		})
	}
}

func TestWebSocketPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = broker.New(broker.Config{WebSocketAddr: l.Addr().String()}, oneDevice{}, nil)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("err = %v, want the port reported as taken", err)
	}
}
