package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/galeratest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestMain lets a test start this very binary as freezerd: with
// FREEZERD_TEST_MAIN=1 the test binary runs main() instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("FREEZERD_TEST_MAIN") == "1" {
		main()
		return
	}
	galeratest.Main(m) // stops the Galera cluster if a test started one

}

// testSecretKey is the secret key of commands run by runCmd unless the
// test gives one: without it, a command given --db alone would create a
// key file under ./freezer-data in the package directory.
const testSecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// runCmd runs one command line in-process with only the given environment
// (and testSecretKey).
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok || k != "FREEZER_SECRET_KEY" || slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--secret-key") }) {
			return v
		}
		return testSecretKey
	}
	code = run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUserAdd(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		code, stdout, stderr := runCmd(t, nil, "", "user", "add", "--data-dir", dir, "--db", dsn,
			"--email", "Ann@Example.com", "--password", "correct horse", "--admin", "--language", "fr")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var out struct {
			UserID      int64  `json:"user_id"`
			HouseholdID int64  `json:"household_id"`
			Token       string `json:"token"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("output %q is not one JSON object: %v", stdout, err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(out.Token) {
			t.Errorf("token = %q, want 64 hex characters", out.Token)
		}
		store := testdb.MustOpen(t, dsn)
		ctx := context.Background()
		u, tok, err := store.AuthenticateToken(ctx, out.Token)
		if err != nil {
			t.Fatalf("the printed token does not authenticate: %v", err)
		}
		if got, want := u.ID, out.UserID; got != want {
			t.Errorf("token user = %d, want %d", got, want)
		}
		if got, want := tok.Name, "freezerd user add"; got != want {
			t.Errorf("token name = %q, want %q", got, want)
		}
		if !u.Admin || u.Language != "fr" || u.Email != "ann@example.com" {
			t.Errorf("user = %+v, want an admin ann@example.com speaking fr", u)
		}
		if _, err := store.Authenticate(ctx, "ann@example.com", "correct horse"); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
		h, err := store.FindHouseholdByID(freezer.NewContextWithUser(ctx, u), out.HouseholdID)
		if err != nil {
			t.Fatalf("the printed household is not the user's: %v", err)
		}
		if got, want := h.Name, "Home"; got != want {
			t.Errorf("household name = %q, want %q", got, want)
		}

		t.Run("ErrDuplicate", func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, "", "user", "add", "--db", dsn, "--email", "ann@example.com", "--password", "another pass")
			if code != 1 || !strings.Contains(stderr, "already registered") {
				t.Errorf("exit %d, stderr %q; want 1 and a message about the taken e-mail", code, stderr)
			}
		})
	})

	t.Run("PasswordFromStdin", func(t *testing.T) {
		dsn := testdb.SQLiteDSN(t)
		code, _, stderr := runCmd(t, nil, "s3cret pass\n", "user", "add", "--db", dsn, "--email", "bob@example.com", "--password", "-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if _, err := testdb.MustOpen(t, dsn).Authenticate(context.Background(), "bob@example.com", "s3cret pass"); err != nil {
			t.Errorf("sign in with the password read from stdin: %v", err)
		}
	})

	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{"user"}, {"user", "add", "--email", "x@y.z"}, {"user", "add", "--bogus"}} {
			if code, _, _ := runCmd(t, nil, "", args...); code != 2 {
				t.Errorf("%q: exit %d, want 2", args, code)
			}
		}
	})

	t.Run("ErrShortPassword", func(t *testing.T) {
		code, _, stderr := runCmd(t, nil, "", "user", "add", "--db", testdb.SQLiteDSN(t), "--email", "c@example.com", "--password", "short")
		if code != 1 || !strings.Contains(stderr, "at least 8") {
			t.Errorf("exit %d, stderr %q; want 1 and the password rule", code, stderr)
		}
	})
}

func TestMigrateCommand(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		code, stdout, stderr := runCmd(t, nil, "", "migrate", "--db", dsn)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var out struct {
			SchemaVersion int64  `json:"schema_version"`
			Database      string `json:"database"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("output %q: %v", stdout, err)
		}
		if out.SchemaVersion < 2 || out.Database == "" {
			t.Errorf("output = %+v, want a schema version ≥ 2 and the dialect", out)
		}
	})
}

func TestVersionAndUsage(t *testing.T) {
	if code, stdout, _ := runCmd(t, nil, "", "version"); code != 0 || strings.TrimSpace(stdout) == "" {
		t.Errorf("version: exit %d, output %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, nil, "", "bogus"); code != 2 || !strings.Contains(stderr, `unknown command "bogus"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	for _, help := range []string{"help", "--help", "-h"} {
		if code, stdout, _ := runCmd(t, nil, "", help); code != 0 || !strings.Contains(stdout, "freezerd user add") || !strings.Contains(stdout, "freezerd device add") {
			t.Errorf("%s: exit %d, output %q; want the list of commands", help, code, stdout)
		}
	}
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{"http-addr": "FREEZER_HTTP_ADDR", "db": "FREEZER_DB", "data-dir": "FREEZER_DATA_DIR"} {
		if got := EnvName(flag); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flag, got, want)
		}
	}
}

// startServer starts "freezerd serve" in-process on a free port and returns
// its base URL and a function that stops it and returns Run's error.
func startServer(t *testing.T, cfg ServeConfig) (string, func() error) {
	t.Helper()
	m, stop := startServing(t, cfg)
	return "http://" + m.HTTP.Addr(), stop
}

// startServing is startServer returning the running server itself.
func startServing(t *testing.T, cfg ServeConfig) (*Server, func() error) {
	t.Helper()
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.ShutdownTimeout = 5 * time.Second
	m := &Server{Config: cfg, Logger: discardLogger()}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		t.Fatalf("open: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("server did not stop within 10s")
		}
	})
	t.Cleanup(func() { _ = stop() })
	return m, stop
}

func TestServe(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		base, stop := startServer(t, ServeConfig{Config: Config{DB: dsn}})
		for _, path := range []string{"/", "/healthz"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s = %d %s, want 200", path, resp.StatusCode, body)
			}
			if path == "/healthz" && !strings.Contains(string(body), `"database":"ok"`) {
				t.Errorf("GET /healthz body = %s, want the database reported ok", body)
			}
		}
		addr := strings.TrimPrefix(base, "http://")
		if code, stdout, stderr := runCmd(t, nil, "", "healthcheck", "--http-addr", addr); code != 0 || !strings.Contains(stdout, `"status":"ok"`) {
			t.Errorf("healthcheck of a running server: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if _, err := http.Get(base + "/healthz"); err == nil {
			t.Errorf("server still answers after shutdown")
		}
		if code, _, stderr := runCmd(t, nil, "", "healthcheck", "--http-addr", addr); code != 1 || !strings.Contains(stderr, "unhealthy") {
			t.Errorf("healthcheck of a stopped server: exit %d, stderr %q; want 1 and unhealthy", code, stderr)
		}
	})
}

func TestServeDefaultsToSQLiteInDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	base, stop := startServer(t, ServeConfig{Config: Config{DataDir: dir}})
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "freezer.db")); err != nil {
		t.Errorf("no database in the data directory: %v", err)
	}
}

func TestServeHealthReportsDatabaseDown(t *testing.T) {
	dsn := testdb.SQLiteDSN(t)
	m := &Server{Config: ServeConfig{Config: Config{DB: dsn, DataDir: t.TempDir()}, HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Second}, Logger: discardLogger()}
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	go m.HTTP.Serve()
	defer m.HTTP.Shutdown(ctx)
	store := m.DB
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + m.HTTP.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusServiceUnavailable; got != want {
		t.Errorf("GET /healthz with the database closed = %d, want %d", got, want)
	}
	m.DB = nil
}

func TestServeErrPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCmd(t, nil, "", "serve", "--data-dir", t.TempDir(), "--http-addr", ln.Addr().String(), "--mqtt-addr", "")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.Contains(stderr, "address already in use") {
		t.Errorf("stderr = %q, want one line saying the address is in use", stderr)
	}
}

func TestServeErrDatabase(t *testing.T) {
	code, _, stderr := runCmd(t, nil, "", "serve", "--db", "sqlite:"+filepath.Join(t.TempDir(), "missing", "dir", "x.db"), "--http-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "open sqlite database") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr %q; want 1 and one line naming the database", code, stderr)
	}
	code, _, stderr = runCmd(t, nil, "", "serve", "--db", "postgres://x", "--http-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "unknown database") {
		t.Errorf("exit %d, stderr %q; want 1 and an unknown-database message", code, stderr)
	}
}

func TestServeFlagsFromEnvironment(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"FREEZER_HTTP_ADDR": addr, "FREEZER_DATA_DIR": t.TempDir(), "FREEZER_LOG_LEVEL": "nonsense"}
	if code, _, stderr := runCmd(t, env, "", "serve"); code != 2 || !strings.Contains(stderr, "log-level") {
		t.Errorf("FREEZER_LOG_LEVEL=nonsense: exit %d, stderr %q; want a usage error", code, stderr)
	}
	// A flag on the command line wins over its environment twin.
	if code, _, stderr := runCmd(t, env, "", "serve", "--log-level", "bogus-too"); code != 2 || !strings.Contains(stderr, "bogus-too") {
		t.Errorf("--log-level over env: exit %d, stderr %q", code, stderr)
	}
}

// TestSignalShutdown runs freezerd as a real process and stops it with
// SIGINT and SIGTERM: it must exit 0 after a clean shutdown.
func TestSignalShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "serve", "--http-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
			cmd.Env = append(os.Environ(), "FREEZERD_TEST_MAIN=1")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			addr := waitForLog(t, stderr, regexp.MustCompile(`http=(\S+)`))
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatalf("healthz: %v", err)
			}
			resp.Body.Close()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, stderr)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after %s: %v, want 0", sig, err)
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("freezerd did not stop within 15s of %s", sig)
			}
		})
	}
}

// waitForLog reads log lines until re matches one, and returns its first group.
func waitForLog(t *testing.T, r io.Reader, re *regexp.Regexp) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				return
			}
		}
		close(found)
	}()
	select {
	case s, ok := <-found:
		if !ok {
			t.Fatalf("log ended before a line matched %s", re)
		}
		return s
	case <-time.After(15 * time.Second):
		t.Fatalf("no log line matched %s within 15s", re)
	}
	return ""
}

// TestSecretKeyFile: the first start creates the secret key in the data
// directory, readable by its owner only, and the next starts read it.
func TestSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCmd(t, map[string]string{"FREEZER_SECRET_KEY": ""}, "", "migrate", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join(dir, "secret.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret.key mode %v, want 0600", perm)
	}
	db, err := os.Stat(filepath.Join(dir, "freezer.db"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := db.Mode().Perm(); perm != 0o600 {
		t.Errorf("freezer.db mode %v, want 0600", perm)
	}
	first, _ := os.ReadFile(path)
	if code, _, stderr := runCmd(t, map[string]string{"FREEZER_SECRET_KEY": ""}, "", "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("second start: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Error("the second start replaced the key")
	}
	if code, _, stderr := runCmd(t, nil, "", "migrate", "--data-dir", dir, "--secret-key", "not hex"); code != 2 || !strings.Contains(stderr, "--secret-key") {
		t.Errorf("a malformed --secret-key: exit %d, %s", code, stderr)
	}
}

// A taken MQTT port says which flags choose another way, and a first
// start that fails leaves no data directory behind.
func TestServeErrMQTTPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "new-data")
	code, _, stderr := runCmd(t, nil, "", "serve", "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--mqtt-addr", ln.Addr().String())
	if code != 1 {
		t.Fatalf("exit %d, want 1 (%s)", code, stderr)
	}
	for _, want := range []string{"address already in use", "--mqtt-addr", "--mqtt-url"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to say %q", stderr, want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data directory of a failed first start is left behind (%v)", err)
	}
	// A data directory that was there stays.
	kept := t.TempDir()
	runCmd(t, nil, "", "serve", "--data-dir", kept, "--http-addr", "127.0.0.1:0", "--mqtt-addr", ln.Addr().String())
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("an existing data directory was removed: %v", err)
	}
}
