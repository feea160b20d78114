package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// replicaAckTimeout is how long a scanner waits for an ack, on the external
// broker, before it counts its scan lost.
const replicaAckTimeout = 5 * time.Second

// measureReplicas runs the scanners against s.Replicas freezerd replicas
// in turn, all on the database at dsn and one external broker, and counts
// what was acked, lost and doubled.
func measureReplicas(s settings, dsn string, scanners []*scanner) ([]row, error) {
	url := s.MQTTURL
	if url == "" {
		m, err := startMosquitto()
		if err != nil {
			return nil, err
		}
		defer m.stop()
		url = m.url
	}
	addr := strings.TrimPrefix(url, "tcp://")
	check, err := openReplicaCheck(dsn, scanners)
	if err != nil {
		return nil, err
	}
	defer check.Close()
	// In alternation, as the other loads: a machine that changes speed
	// meanwhile changes each count of replicas alike.
	results := make([]replicaResult, len(s.Replicas))
	for range replicaRounds {
		for i, n := range s.Replicas {
			r, err := replicaRound(dsn, url, addr, n, scanners, check, s.Duration/replicaRounds)
			if err != nil {
				return nil, fmt.Errorf("%d replicas: %w", n, err)
			}
			results[i] = results[i].add(r)
		}
	}
	var rows []row
	for i, n := range s.Replicas {
		r := results[i]
		name := fmt.Sprintf("scans: MySQL, %d replicas, %d devices, external broker", n, len(scanners))
		rows = append(rows,
			num(name, r.PerSecond(), "acked/s", "%.0f"),
			num(name+" p99", ms(r.P99), "ms", "%.2f"),
			num(name+": lost", float64(r.lost), "scans", "%.0f").target("0", r.lost == 0),
			num(name+": doubled", float64(r.doubled), "scans", "%.0f").target("0", r.doubled == 0),
			num(name+": deadlocks and lock wait timeouts answered (retried)", float64(r.retries), "errors", "%.0f"),
		)
		if i > 0 {
			ratio := r.PerSecond() / results[0].PerSecond()
			rows = append(rows, percent(fmt.Sprintf("scans: MySQL, %d replicas / %d", n, s.Replicas[0]), ratio).target("≥ 80%", ratio >= 0.8))
		}
	}
	return rows, nil
}

// replicaRounds is how many turns each count of replicas takes.
const replicaRounds = 2

// replicaResult is one round of replicas.
type replicaResult struct {
	loadResult
	lost, doubled int
	retries       int64 // deadlocks and lock wait timeouts the replicas' store retried
}

func (r replicaResult) add(o replicaResult) replicaResult {
	return replicaResult{r.loadResult.add(o.loadResult), r.lost + o.lost, r.doubled + o.doubled, r.retries + o.retries}
}

// replicaRound starts n replicas, runs the scanners against them for d
// and checks the database after.
func replicaRound(dsn, url, addr string, n int, scanners []*scanner, check *replicaCheck, d time.Duration) (replicaResult, error) {
	var res replicaResult
	var replicas []*child
	defer func() {
		for _, c := range replicas {
			c.stop()
		}
	}()
	for i := range n {
		c, err := startChild("replica", dsn, childMQTTURLEnv+"="+url, fmt.Sprintf("%s=bench-replica-%d", childClientIDEnv, i+1))
		if err != nil {
			return res, err
		}
		replicas = append(replicas, c)
	}
	if err := connectAll(scanners, addr); err != nil {
		return res, err
	}
	before, err := check.read()
	if err != nil {
		return res, err
	}
	doubled0 := 0
	for _, s := range scanners {
		doubled0 += s.doubled
		s.lost = nil
	}
	counts0, err := sumCounts(replicas)
	if err != nil {
		return res, err
	}
	r, err := lossyClosedLoop(scanners, d, replicaAckTimeout)
	if err != nil {
		return res, err
	}
	drainAcks(scanners, time.Second)
	disconnectAll(scanners)
	counts1, err := sumCounts(replicas)
	if err != nil {
		return res, err
	}
	for _, c := range replicas {
		c.stop()
	}
	after, err := check.read()
	if err != nil {
		return res, err
	}
	res.loadResult = r
	wireDoubled := -doubled0
	for _, s := range scanners {
		res.lost += len(s.lost)
		wireDoubled += s.doubled
	}
	// Each acked scan changed its product once and left one scan event;
	// a lost scan may have been committed or not. More is doubled.
	committed := max(after.events-before.events, after.versions-before.versions)
	res.doubled = wireDoubled + max(0, int(committed)-r.Count-res.lost)
	c := counts1.sub(counts0)
	res.retries = c.Deadlocks + c.LockWaits
	return res, nil
}

// sumCounts adds up the SQL counts of the replicas.
func sumCounts(replicas []*child) (sqlCounts, error) {
	var sum sqlCounts
	for _, c := range replicas {
		n, err := c.counts()
		if err != nil {
			return sum, err
		}
		sum = sum.add(n)
	}
	return sum, nil
}

// replicaCheck reads what the scanners' scans left in the database.
type replicaCheck struct {
	*sql.DB
	household int64
}

// replicaState is the scanners' scan events and their products' versions.
type replicaState struct{ events, versions int64 }

func openReplicaCheck(dsn string, scanners []*scanner) (*replicaCheck, error) {
	conn, err := openRaw(dsn)
	if err != nil {
		return nil, err
	}
	var household int64
	if err := conn.QueryRow("SELECT household_id FROM products WHERE id = ?", scanners[0].productID).Scan(&household); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read the scanners' household: %w", err)
	}
	return &replicaCheck{conn, household}, nil
}

func (c *replicaCheck) read() (replicaState, error) {
	var st replicaState
	err := c.QueryRow(`SELECT COUNT(*) FROM scan_events e JOIN devices d ON d.id = e.device_id WHERE d.household_id = ? AND e.status = 'ok'`, c.household).Scan(&st.events)
	if err == nil {
		err = c.QueryRow(`SELECT COALESCE(SUM(version), 0) FROM products WHERE household_id = ?`, c.household).Scan(&st.versions)
	}
	if err != nil {
		return st, fmt.Errorf("read scan events and versions: %w", err)
	}
	return st, nil
}

// mosquitto is a Mosquitto broker the run started.
type mosquitto struct {
	cmd *exec.Cmd
	dir string
	url string
}

// startMosquitto runs Mosquitto on a free loopback port, with anonymous
// access and set_tcp_nodelay (without it, each round trip waits ~40 ms).
func startMosquitto() (*mosquitto, error) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, statErr := os.Stat(bin); statErr != nil {
			return nil, errors.New("mosquitto not found (in PATH or /usr/sbin): install it, or give a broker with --mqtt-url")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir, err := os.MkdirTemp("", "freezer-bench-mosquitto-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	content := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n", port)
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m := &mosquitto{cmd: exec.Command(bin, "-c", conf), dir: dir, url: "tcp://" + addr}
	if err := m.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start mosquitto: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return m, nil
		}
		if ctx.Err() != nil {
			m.stop()
			return nil, fmt.Errorf("mosquitto did not listen on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (m *mosquitto) stop() {
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	os.RemoveAll(m.dir)
}
