package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulate runs the command as a person would: codes piped into
// --simulate, settings from the environment; it ends once every code is
// answered.
func TestSimulate(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	soup, soupCode := e.product(t, "Soupe de Noël")
	env := map[string]string{
		"FREEZER_SCANNER_BROKER":    strings.TrimPrefix(e.url(), "tcp://"), // host:port alone is enough
		"FREEZER_SCANNER_DEVICE":    dev,
		"FREEZER_SCANNER_PASSWORD":  password,
		"FREEZER_SCANNER_STATE_DIR": filepath.Join(t.TempDir(), "state"),
		"FREEZER_SCANNER_SIMULATE":  "true",
	}
	var stdout, stderr buffer
	stdin := strings.NewReader(soupCode + "\n\n" + soupCode + "\r\n" + "FZ-C-UNDO\r")
	code := runCommand(t, nil, env, stdin, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := []string{
		"OK out Soupe de Noël — " + e.location(soup),
		"ALREADY out Soupe de Noël — " + e.location(soup) + ": already taken out on 2026-03-15",
		"OK undo Soupe de Noël — " + e.location(soup),
	}
	if got := stdout.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if !e.inside(t, soup.ID) {
		t.Error("undo did not put the soup back")
	}
	// The broker acks the offline status before handing it on: wait for it.
	waitFor(t, "status offline", func() bool { return len(e.statuses()) >= 2 })
	if s := e.statuses(); len(s) != 2 || s[0] != "online" || s[1] != "offline" {
		t.Errorf("statuses = %q, want online then offline", s)
	}
	entries, _ := os.ReadDir(env["FREEZER_SCANNER_STATE_DIR"])
	if len(entries) == 0 {
		t.Error("no state file in --state-dir")
	}
}

// TestEvdevInput reads codes from an input device's events, here a file of
// synthetic events given as evdev:PATH.
func TestEvdevInput(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	soup, soupCode := e.product(t, "Soupe de Noël")
	var events bytes.Buffer
	events.Write(typeEvents(eventSize, soupCode))
	path := filepath.Join(t.TempDir(), "event0")
	if err := os.WriteFile(path, events.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr buffer
	code := runCommand(t, []string{"--broker", e.url(), "--device", dev, "--password", password,
		"--state-dir", t.TempDir(), "--input", "evdev:" + path}, nil, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got, want := stdout.String(), "OK out Soupe de Noël — "+e.location(soup)+"\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

// typeEvents returns the events of a scanner typing s then Enter, with
// shift for capitals and SYN reports, as a real keyboard sends them.
func typeEvents(size int, s string) []byte {
	var b []byte
	key := func(code uint16, value int32) {
		b = append(b, event(size, evMsc, 4, 0x70000+int32(code))...)
		b = append(b, event(size, evKey, code, value)...)
		b = append(b, event(size, 0, 0, 0)...) // SYN_REPORT
	}
	for _, c := range []byte(s) {
		code, shift := keyOf(c)
		if shift {
			key(keyLeftShift, keyDown)
		}
		key(code, keyDown)
		key(code, keyUp)
		if shift {
			key(keyLeftShift, keyUp)
		}
	}
	key(keyEnter, keyDown)
	key(keyEnter, keyUp)
	return b
}

const evMsc = 0x04

// keyOf finds the key that types c on the main keyboard.
func keyOf(c byte) (code uint16, shift bool) {
	for code, chars := range keymap {
		if code >= 55 && code != 57 {
			continue // the keypad types the same characters
		}
		if chars[0] == c {
			return code, false
		}
		if chars[1] == c {
			return code, true
		}
	}
	panic("no key types " + string(c))
}

// event encodes one input_event of size bytes, time stamp included.
func event(size int, typ, code uint16, value int32) []byte {
	b := make([]byte, size)
	for i := 0; i < size-8; i++ {
		b[i] = 0xA5 // a time stamp, which the decoder must skip
	}
	binary.NativeEndian.PutUint16(b[size-8:], typ)
	binary.NativeEndian.PutUint16(b[size-6:], code)
	binary.NativeEndian.PutUint32(b[size-4:], uint32(value))
	return b
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		desc string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{desc: "no device", args: nil, code: 2, want: "--device"},
		{desc: "device with a slash", args: []string{"--device", "a/b"}, code: 2, want: "--device"},
		{desc: "simulate with a device input", args: []string{"--device", "d", "--simulate", "--input", "/dev/ttyACM0"}, code: 2, want: "--simulate"},
		{desc: "bad env value", args: []string{"--device", "d"}, env: map[string]string{"FREEZER_SCANNER_ACK_TIMEOUT": "soon"}, code: 2, want: "FREEZER_SCANNER_ACK_TIMEOUT"},
		{desc: "bad log level", args: []string{"--device", "d", "--log-level", "loud"}, code: 2, want: "--log-level"},
		{desc: "bad root", args: []string{"--device", "d", "--root", "freezer/#"}, code: 2, want: "--root"},
		{desc: "extra argument", args: []string{"--device", "d", "now"}, code: 2, want: `"now"`},
		{desc: "unknown flag", args: []string{"--bogus"}, code: 2, want: "bogus"},
		{desc: "help", args: []string{"--help"}, code: 0, want: "FREEZER_SCANNER_"},
		{desc: "missing input device", args: []string{"--device", "d", "--input", "/nonexistent/ttyACM0"}, code: 1, want: "open input"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var stdout, stderr buffer
			if tc.code == 1 {
				tc.args = append(tc.args, "--state-dir", t.TempDir())
			}
			code := runCommand(t, tc.args, tc.env, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	env := map[string]string{"FREEZER_SCANNER_DEVICE": "scanner-env", "FREEZER_SCANNER_ROOT": "home/freezer", "FREEZER_SCANNER_QUEUE_SIZE": "5"}
	cfg, err := parseConfig([]string{"--root", "flag/root"}, func(k string) string { return env[k] }, &buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Device != "scanner-env" || cfg.QueueSize != 5 || cfg.Root != "flag/root" || cfg.Broker != "tcp://localhost:1883" || cfg.Input != "stdin" {
		t.Errorf("config = %+v; want the device and queue size from the environment, the root from the flag", cfg)
	}
	if got, want := EnvName("state-dir"), "FREEZER_SCANNER_STATE_DIR"; got != want {
		t.Errorf("EnvName(state-dir) = %q, want %q", got, want)
	}
}
