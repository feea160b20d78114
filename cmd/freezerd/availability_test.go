package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/mqtttest"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/internal/testnet"
)

// haView is what Home Assistant sees of the broker: the latest retained
// payload of each topic, and whether an entity is available by its
// discovery config's availability rules.
type haView struct {
	mu       sync.Mutex
	retained map[string]string
}

func watchHA(t *testing.T, url string) *haView {
	t.Helper()
	v := &haView{retained: map[string]string{}}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("home-assistant"))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	for _, filter := range []string{"homeassistant/#", "freezer/v1/#"} {
		tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
			v.mu.Lock()
			v.retained[m.Topic()] = string(m.Payload())
			v.mu.Unlock()
		})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe: %v", tok.Error())
		}
	}
	return v
}

// available evaluates the availability of the entity whose config is on
// topic as Home Assistant does: with availability_mode "all", every topic
// must carry its payload_available; otherwise ("latest", the default) the
// one heard last decides, which a retained view cannot tell: any.
func (v *haView) available(topic string) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	raw, ok := v.retained[topic]
	if !ok {
		return false, fmt.Errorf("no config on %s", topic)
	}
	var c struct {
		Availability []struct {
			Topic            string `json:"topic"`
			PayloadAvailable string `json:"payload_available"`
		} `json:"availability"`
		Mode string `json:"availability_mode"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return false, err
	}
	any := false
	for _, a := range c.Availability {
		if v.retained[a.Topic] == a.PayloadAvailable {
			any = true
		} else if c.Mode == "all" {
			return false, nil
		}
	}
	return any, nil
}

// waitAvailable waits until the entity's availability is want.
func (v *haView) waitAvailable(t *testing.T, topic string, want bool, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got, err := v.available(topic)
		if err == nil && got == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: available = %v (%v) after %s, want %v", topic, got, err, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startFreezerd runs "freezerd serve" on an external broker as a child process.
func startFreezerd(t *testing.T, dsn, mqttURL, clientID string) *exec.Cmd {
	t.Helper()
	httpAddr := testnet.FreeAddr(t)
	cmd := exec.Command(os.Args[0], "serve", "--db", dsn, "--http-addr", httpAddr, "--mqtt-url", mqttURL,
		"--mqtt-client-id", clientID, "--log-level", "error", "--alert-schedule", "off")
	cmd.Env = append(os.Environ(), "FREEZERD_TEST_MAIN=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatal("freezerd did not answer /healthz within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHomeAssistantAvailabilityFollowsHub: with two replicas on an external
// Mosquitto, Home Assistant's entities stay available while one replica is
// killed, go unavailable within seconds when the last one is killed with
// SIGKILL, come back with a replica, and go unavailable again when it stops
// on SIGTERM.
func TestHomeAssistantAvailabilityFollowsHub(t *testing.T) {
	url := mqtttest.StartMosquitto(t)
	dsn := testdb.MySQLDSN(t)
	store := testdb.MustOpen(t, dsn)
	reg, err := store.RegisterUser(freezer.SystemContext(context.Background()), freezer.Registration{Email: "ha@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	entity := fmt.Sprintf("homeassistant/event/freezer_manager_%d/scan/config", reg.Household.ID)
	ha := watchHA(t, url)

	a, b := startFreezerd(t, dsn, url, "hub-a"), startFreezerd(t, dsn, url, "hub-b")
	ha.waitAvailable(t, entity, true, 10*time.Second)

	if err := b.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	b.Wait()
	time.Sleep(time.Second) // the Will, then the other replica's answer
	ha.waitAvailable(t, entity, true, 2*time.Second)

	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	d := ha.waitAvailable(t, entity, false, 5*time.Second)
	t.Logf("unavailable %s after the last replica was killed", d)

	c := startFreezerd(t, dsn, url, "hub-c")
	ha.waitAvailable(t, entity, true, 10*time.Second)
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	ha.waitAvailable(t, entity, false, 5*time.Second)
}
