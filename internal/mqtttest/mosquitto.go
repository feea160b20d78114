// Package mqtttest starts a real Mosquitto broker for tests.
package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/internal/testnet"
)

// EnvRequireMosquitto set to "1" turns a missing mosquitto binary into a failure.
const EnvRequireMosquitto = "FREEZER_REQUIRE_MOSQUITTO"

// StartMosquitto runs mosquitto on a free loopback port, anonymous access,
// no persistence, and returns its tcp:// URL. It stops when the test ends.
func StartMosquitto(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, statErr := os.Stat(p); statErr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		if os.Getenv(EnvRequireMosquitto) == "1" {
			tb.Fatalf("mosquitto not found but %s=1", EnvRequireMosquitto)
		}
		tb.Skip("mosquitto not installed (Debian package mosquitto): external-broker test skipped")
	}
	addr := testnet.FreeAddr(tb)
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(tb.TempDir(), "mosquitto.conf")
	content := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n", port)
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mosquitto: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "tcp://" + addr
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mosquitto did not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
