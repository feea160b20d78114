// Package galeratest starts a three-node MariaDB Galera cluster on loopback
// for tests: its own data directories under a temporary directory, its own
// free ports, shared by the tests of a package (see Main and Shared).
//
// The cluster starts in a few seconds: one data directory is installed and
// copied to the three nodes, node 1 bootstraps a new cluster, and nodes 2
// and 3 join it with the state of the copy, so that they catch up by
// incremental state transfer (IST) instead of a full snapshot (SST). A node
// killed and restarted catches up the same way; mariabackup is the SST
// method should one be needed.
package galeratest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Environment variables that turn the Galera tests on.
const (
	EnvGalera        = "FREEZER_TEST_GALERA"    // "1": start a cluster for the Galera tests
	EnvRequireGalera = "FREEZER_REQUIRE_GALERA" // "1": a missing cluster fails instead of skipping
	EnvKeep          = "FREEZER_GALERA_KEEP"    // "1": keep the data directories and logs, to debug
)

// Paths of the programs a cluster needs (Debian packages mariadb-server,
// galera-4 and, for state transfers, mariadb-backup and socat).
var (
	Mariadbd  = "/usr/sbin/mariadbd"
	InstallDB = "/usr/bin/mariadb-install-db"
	Provider  = "/usr/lib/galera/libgalera_smm.so"
	Backup    = "/usr/bin/mariadb-backup"
	Socat     = "/usr/bin/socat" // what the mariabackup SST script streams with, IST included
)

// startTimeout bounds the wait for one node to be up and synced (IST, or
// SST at worst); a cluster that takes longer is broken.
const startTimeout = 90 * time.Second

// Size is the number of nodes of a cluster.
const Size = 3

// Cluster is a running Galera cluster of Size nodes.
type Cluster struct {
	Nodes [Size]*Node
	dir   string
}

// Node is one mariadbd of a cluster.
type Node struct {
	Index   int    // 1, 2 or 3
	SQLAddr string // 127.0.0.1:port of its SQL server
	dir     string
	cnf     string
	socket  string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

var (
	shared    *Cluster
	sharedErr error
	sharedMu  sync.Mutex
)

// Main runs a package's tests and stops the shared cluster, if any test
// started it; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.Stop()
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// Shared returns the package's cluster, starting it on first use; it skips
// the test unless FREEZER_TEST_GALERA=1 or FREEZER_REQUIRE_GALERA=1 and the
// programs are installed, and fails it when the cluster is required but
// cannot start. The package's TestMain must call Main, which stops it.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	require := os.Getenv(EnvRequireGalera) == "1"
	if os.Getenv(EnvGalera) != "1" && !require {
		tb.Skipf("Galera tests skipped: set %s=1 to run them on a 3-node cluster (Debian packages galera-4, mariadb-server, mariadb-backup, socat)", EnvGalera)
	}
	if missing := missingPrograms(); len(missing) > 0 {
		if require {
			tb.Fatalf("%s=1 but %s not installed", EnvRequireGalera, strings.Join(missing, ", "))
		}
		tb.Skipf("Galera tests skipped: %s not installed", strings.Join(missing, ", "))
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		start := time.Now()
		shared, sharedErr = Start(context.Background())
		if sharedErr == nil {
			tb.Logf("Galera cluster of %d nodes started in %v", Size, time.Since(start).Round(time.Millisecond))
		}
	}
	if sharedErr != nil {
		tb.Fatalf("start Galera cluster: %v", sharedErr)
	}
	return shared
}

func missingPrograms() []string {
	var missing []string
	for _, p := range []string{Mariadbd, InstallDB, Provider, Backup, Socat} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	return missing
}

// Start installs and starts a new cluster in a temporary directory: node 1
// bootstraps it, nodes 2 and 3 join. Stop removes it.
func Start(ctx context.Context) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "galera-")
	if err != nil {
		return nil, fmt.Errorf("galera: %w", err)
	}
	c = &Cluster{dir: dir}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w%s", err, c.logTails())
			c.Stop()
			c = nil
		}
	}()
	// SST scripts may run helpers as another user: let them enter.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("galera: %w", err)
	}
	ports, err := freePorts(4 * Size)
	if err != nil {
		return nil, err
	}
	var members []string
	for i := range Size {
		members = append(members, fmt.Sprintf("127.0.0.1:%d", ports[4*i+1]))
	}
	for i := range Size {
		n := &Node{Index: i + 1, dir: filepath.Join(dir, fmt.Sprint("n", i+1))}
		n.SQLAddr = fmt.Sprintf("127.0.0.1:%d", ports[4*i])
		n.cnf, n.socket, n.logPath = filepath.Join(n.dir, "my.cnf"), filepath.Join(n.dir, "sock"), filepath.Join(n.dir, "mariadbd.log")
		if err := os.MkdirAll(filepath.Join(n.dir, "data"), 0o755); err != nil {
			return c, fmt.Errorf("galera: %w", err)
		}
		if err := os.WriteFile(n.cnf, []byte(n.config(ports[4*i:4*i+4], members)), 0o644); err != nil {
			return c, fmt.Errorf("galera: %w", err)
		}
		c.Nodes[i] = n
	}

	// One installed data directory for all: the joiners then share node 1's
	// starting state and need no snapshot.
	first := c.Nodes[0]
	install := exec.CommandContext(ctx, InstallDB, "--defaults-file="+first.cnf, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve", "--wsrep-on=OFF")
	if out, err := install.CombinedOutput(); err != nil {
		return c, fmt.Errorf("galera: mariadb-install-db: %w\n%s", err, out)
	}
	if err := first.start(ctx, "--wsrep-new-cluster"); err != nil {
		return c, err
	}
	admin, err := first.admin()
	if err != nil {
		return c, err
	}
	defer admin.Close()
	// Tests connect over TCP as root without a password.
	if _, err := admin.ExecContext(ctx, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'"); err != nil {
		return c, fmt.Errorf("galera: create user: %w", err)
	}
	if _, err := admin.ExecContext(ctx, "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"); err != nil {
		return c, fmt.Errorf("galera: grant: %w", err)
	}
	admin.Close()
	// Node 1 stopped cleanly has the cluster's state in its data directory
	// (InnoDB keeps the position, grastate.dat the rest): copies of it join
	// with nothing to transfer, and node 1 bootstraps the cluster again.
	if err := first.shutdown(); err != nil {
		return c, err
	}
	for _, n := range c.Nodes[1:] {
		if out, err := exec.CommandContext(ctx, "cp", "-a", filepath.Join(first.dir, "data"), n.dir).CombinedOutput(); err != nil {
			return c, fmt.Errorf("galera: copy data directory: %w\n%s", err, out)
		}
		_ = os.Remove(filepath.Join(n.dir, "data", "galera.cache"))
	}
	if err := first.start(ctx, "--wsrep-new-cluster"); err != nil {
		return c, err
	}
	// One after the other: two joining at once may first form a
	// non-primary component of their own and take seconds to merge.
	for _, n := range c.Nodes[1:] {
		if err := n.start(ctx); err != nil {
			return c, err
		}
	}
	return c, nil
}

// config is the node's option file; ports are its SQL, Galera, IST and SST ports.
func (n *Node) config(ports []int, members []string) string {
	return fmt.Sprintf(`[mariadbd]
datadir=%[1]s/data
socket=%[2]s
pid-file=%[1]s/mariadbd.pid
port=%[3]d
bind-address=127.0.0.1
user=root
skip-name-resolve
skip-log-bin
log-error=%[4]s
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_log_buffer_size=4M
innodb_flush_log_at_trx_commit=2
innodb_doublewrite=0
key_buffer_size=1M
max_connections=300
character_set_server=utf8mb4
collation_server=utf8mb4_unicode_ci
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=%[5]s
wsrep_cluster_name=freezer-test
wsrep_cluster_address=gcomm://%[6]s
wsrep_node_address=127.0.0.1:%[7]d
wsrep_node_name=n%[8]d
wsrep_sst_method=mariabackup
wsrep_sst_receive_address=127.0.0.1:%[9]d
wsrep_slave_threads=2
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:%[7]d;ist.recv_addr=127.0.0.1:%[10]d;gcache.size=32M;gcache.page_size=16M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT3S;pc.weight=1"
`, n.dir, n.socket, ports[0], n.logPath, Provider, strings.Join(members, ","), ports[1], n.Index, ports[3], ports[2])
}

// start runs mariadbd with extra options and waits until the node is synced.
func (n *Node) start(ctx context.Context, extra ...string) error {
	n.mu.Lock()
	if n.cmd != nil {
		n.mu.Unlock()
		return fmt.Errorf("galera: node %d is already running", n.Index)
	}
	cmd := exec.Command(Mariadbd, append([]string{"--defaults-file=" + n.cnf}, extra...)...)
	// The cluster must not outlive a test binary that dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		return fmt.Errorf("galera: start node %d: %w", n.Index, err)
	}
	done := make(chan struct{})
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	go func() { _ = cmd.Wait(); close(done) }()
	return n.waitSynced(ctx, done)
}

// waitSynced waits until the node reports itself synced with the cluster.
func (n *Node) waitSynced(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var last error
	for {
		state, err := n.state(ctx)
		if err == nil && state == "Synced" {
			return nil
		} else if err != nil {
			last = err
		} else {
			last = fmt.Errorf("state %s", state)
		}
		select {
		case <-exited:
			return fmt.Errorf("galera: node %d exited while starting (last: %v)", n.Index, last)
		case <-ctx.Done():
			return fmt.Errorf("galera: node %d not synced within %v: %v", n.Index, startTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// state returns the node's wsrep_local_state_comment (Synced, Joining, Donor/Desynced…).
func (n *Node) state(ctx context.Context) (string, error) {
	admin, err := n.admin()
	if err != nil {
		return "", err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var state string
	err = admin.QueryRowContext(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'").Scan(&state)
	return state, err
}

// admin connects as root over the node's socket.
func (n *Node) admin() (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", n.socket
	cfg.Timeout = 2 * time.Second
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("galera: node %d: %w", n.Index, err)
	}
	conn.SetMaxOpenConns(1)
	return conn, nil
}

// Kill kills the node's mariadbd with SIGKILL, as a crash would, and waits
// until it has exited.
func (n *Node) Kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	n.cmd, n.done = nil, nil
}

// Restart starts a stopped or killed node again and waits until it has
// rejoined the cluster and caught up. Like Debian's galera_recovery, it
// first recovers the node's last committed position from InnoDB, so that
// the node catches up by IST instead of a full snapshot.
func (n *Node) Restart(ctx context.Context) error {
	pos, err := n.recoverPosition(ctx)
	if err != nil {
		return err
	}
	return n.start(ctx, "--wsrep-start-position="+pos)
}

// recoverPosition runs mariadbd --wsrep-recover and returns the position it
// reports (uuid:seqno).
func (n *Node) recoverPosition(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	logPath := filepath.Join(n.dir, "recover.log")
	_ = os.Remove(logPath)
	cmd := exec.CommandContext(ctx, Mariadbd, "--defaults-file="+n.cnf, "--wsrep-recover", "--log-error="+logPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("galera: node %d: mariadbd --wsrep-recover: %w\n%s", n.Index, err, out)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		return "", fmt.Errorf("galera: node %d: %w", n.Index, err)
	}
	const marker = "WSREP: Recovered position: "
	i := strings.LastIndex(string(data), marker)
	if i < 0 {
		return "", fmt.Errorf("galera: node %d: no position in its --wsrep-recover log:\n%s", n.Index, data)
	}
	pos, _, _ := strings.Cut(string(data[i+len(marker):]), "\n")
	return strings.TrimSpace(pos), nil
}

// shutdown stops the node cleanly, bounded in time.
func (n *Node) shutdown() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return nil
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		n.cmd, n.done = nil, nil
		return nil
	case <-time.After(startTimeout):
		return fmt.Errorf("galera: node %d did not shut down within %v", n.Index, startTimeout)
	}
}

// Stop kills every node and removes the cluster's directory. Kill is
// enough: nothing of a test cluster is kept.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		if n != nil {
			wg.Add(1)
			go func() { defer wg.Done(); n.Kill() }()
		}
	}
	wg.Wait()
	if os.Getenv(EnvKeep) == "1" {
		fmt.Fprintf(os.Stderr, "galeratest: %s=1: data directories and logs kept in %s\n", EnvKeep, c.dir)
		return
	}
	_ = os.RemoveAll(c.dir)
}

// Database creates an empty database (it replicates to every node), drops
// it when the test ends, and returns one DSN per node for it, in
// db.ParseDSN's mysql:// form; params, as in "wsrep_sync_wait=1", are
// appended to each.
func (c *Cluster) Database(tb testing.TB, params string) [Size]string {
	tb.Helper()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "freezer_test_" + hex.EncodeToString(suffix)
	admin, err := c.Nodes[0].admin()
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		for _, n := range c.Nodes { // whichever node is up
			admin, err := n.admin()
			if err != nil {
				continue
			}
			_, err = admin.Exec("DROP DATABASE IF EXISTS " + name)
			admin.Close()
			if err == nil {
				return
			}
		}
		tb.Errorf("drop test database %s: no node answers", name)
	})
	var dsns [Size]string
	for i, n := range c.Nodes {
		dsns[i] = "mysql://root@" + n.SQLAddr + "/" + name
		if params != "" {
			dsns[i] += "?" + params
		}
	}
	return dsns
}

// Exec runs statements on node i (1-based) as root, for tests that look at
// or change a node's settings.
func (c *Cluster) Exec(ctx context.Context, node int, query string, args ...any) error {
	admin, err := c.Nodes[node-1].admin()
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("galera: node %d: %w", node, err)
	}
	return nil
}

// Status returns a global status variable of node i (1-based), as in
// "wsrep_cluster_size".
func (c *Cluster) Status(ctx context.Context, node int, name string) (string, error) {
	admin, err := c.Nodes[node-1].admin()
	if err != nil {
		return "", err
	}
	defer admin.Close()
	var v string
	err = admin.QueryRowContext(ctx, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ?", strings.ToUpper(name)).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("galera: node %d status %s: %w", node, name, err)
	}
	return v, nil
}

// logTails returns the end of each node's log, to explain a failed start.
func (c *Cluster) logTails() string {
	var b strings.Builder
	for _, n := range c.Nodes {
		if n == nil {
			continue
		}
		data, err := os.ReadFile(n.logPath)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "\n--- node %d log (last lines):\n%s", n.Index, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("galera: free port: %w", err)
		}
		listeners = append(listeners, l)
		_, port, _ := net.SplitHostPort(l.Addr().String())
		p, _ := strconv.Atoi(port)
		ports = append(ports, p)
	}
	return ports, nil
}
