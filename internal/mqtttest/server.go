package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/internal/testnet"
)

// Mosquitto is a mosquitto process that a test can kill and start again on
// the same port.
type Mosquitto struct {
	tb   testing.TB
	bin  string
	conf string
	addr string
	cmd  *exec.Cmd
}

// NewMosquitto starts mosquitto on a free loopback port, with its
// persistence on or off (a database in a temporary directory), and stops it
// when the test ends. It skips the test, or fails it with
// FREEZER_REQUIRE_MOSQUITTO=1, when mosquitto is not installed.
func NewMosquitto(tb testing.TB, persistence bool) *Mosquitto {
	tb.Helper()
	m := &Mosquitto{tb: tb, bin: findMosquitto(tb), addr: testnet.FreeAddr(tb)}
	_, port, _ := net.SplitHostPort(m.addr)
	dir := tb.TempDir()
	m.conf = filepath.Join(dir, "mosquitto.conf")
	content := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 100000\n", port)
	if persistence {
		content += fmt.Sprintf("persistence true\npersistence_location %s/\nautosave_interval 1\n", dir)
	} else {
		content += "persistence false\n"
	}
	if err := os.WriteFile(m.conf, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Kill)
	m.Start()
	return m
}

// URL is the broker's tcp:// address.
func (m *Mosquitto) URL() string { return "tcp://" + m.addr }

// Addr is the broker's "127.0.0.1:port".
func (m *Mosquitto) Addr() string { return m.addr }

// Start runs mosquitto and waits until it listens.
func (m *Mosquitto) Start() {
	m.tb.Helper()
	m.cmd = exec.Command(m.bin, "-c", m.conf)
	if err := m.cmd.Start(); err != nil {
		m.tb.Fatalf("start mosquitto: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", m.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			m.tb.Fatalf("mosquitto did not listen on %s: %v", m.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops mosquitto with SIGKILL, if it runs.
func (m *Mosquitto) Kill() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	_ = m.cmd.Wait()
	m.cmd = nil
}

// findMosquitto returns the mosquitto binary, or skips or fails the test.
func findMosquitto(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err == nil {
		return bin
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, statErr := os.Stat(p); statErr == nil {
			return p
		}
	}
	if os.Getenv(EnvRequireMosquitto) == "1" {
		tb.Fatalf("mosquitto not found but %s=1", EnvRequireMosquitto)
	}
	tb.Skip("mosquitto not installed (Debian package mosquitto): external-broker test skipped")
	return ""
}
