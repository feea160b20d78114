package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// key events, for building event streams by hand.
func press(size int, code uint16) []byte   { return event(size, evKey, code, keyDown) }
func release(size int, code uint16) []byte { return event(size, evKey, code, keyUp) }
func tap(size int, code uint16) []byte     { return cat(press(size, code), release(size, code)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// readAll decodes a stream of events of size bytes.
func readAll(t *testing.T, r io.Reader, size int) string {
	t.Helper()
	b, err := io.ReadAll(newEvdevReader(r, size))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEventSize(t *testing.T) {
	if eventSize != 24 && eventSize != 16 {
		t.Errorf("eventSize = %d, want 24 (64-bit) or 16 (32-bit)", eventSize)
	}
}

func TestEvdevDecoder(t *testing.T) {
	for _, size := range []int{24, 16} {
		for _, tc := range []struct {
			desc   string
			events func(size int) []byte
			want   string
		}{
			{desc: "product label", events: func(n int) []byte { return typeEvents(n, "FZ-I-000123") }, want: "FZ-I-000123\n"},
			{desc: "URL with colon, slashes and period", events: func(n int) []byte { return typeEvents(n, "https://freezer.lan/i/42") }, want: "https://freezer.lan/i/42\n"},
			{desc: "box and command cards", events: func(n int) []byte { return cat(typeEvents(n, "FZ-B-2-3"), typeEvents(n, "FZ-C-UNDO")) }, want: "FZ-B-2-3\nFZ-C-UNDO\n"},
			{desc: "right shift", events: func(n int) []byte {
				return cat(press(n, keyRightShift), tap(n, 33), release(n, keyRightShift), tap(n, 44), tap(n, keyEnter))
			}, want: "Fz\n"},
			{desc: "caps lock inverts letters only", events: func(n int) []byte {
				return cat(tap(n, keyCapsLock), tap(n, 33), tap(n, 12), tap(n, 2), press(n, keyLeftShift), tap(n, 44), release(n, keyLeftShift), tap(n, keyCapsLock), tap(n, 44), tap(n, keyEnter))
			}, want: "F-1zz\n"},
			{desc: "keypad digits and keypad enter", events: func(n int) []byte {
				return cat(tap(n, 79), tap(n, 80), tap(n, 81), tap(n, 83), tap(n, 82), tap(n, keyKPEnter))
			}, want: "123.0\n"},
			{desc: "tab ends a code too", events: func(n int) []byte { return cat(tap(n, 2), tap(n, keyTab)) }, want: "1\n"},
			{desc: "autorepeat, releases and unmapped keys type nothing", events: func(n int) []byte {
				return cat(press(n, 2), event(n, evKey, 2, 2), release(n, 2), tap(n, 1 /* Esc */), tap(n, 59 /* F1 */), tap(n, 29 /* Ctrl */), tap(n, keyEnter))
			}, want: "1\n"},
			{desc: "other event types are ignored", events: func(n int) []byte {
				return cat(event(n, 0x02, 0, 5) /* EV_REL */, event(n, 0x11, 1, 1) /* EV_LED */, event(n, evMsc, 4, 0x7001e), tap(n, 2), tap(n, keyEnter))
			}, want: "1\n"},
			{desc: "shift held across keys", events: func(n int) []byte {
				return cat(press(n, keyLeftShift), tap(n, 33), tap(n, 44), tap(n, 39), release(n, keyLeftShift), tap(n, 39), tap(n, keyEnter))
			}, want: "FZ:;\n"},
			{desc: "a partial event at the end is dropped", events: func(n int) []byte {
				return cat(tap(n, 2), tap(n, keyEnter), press(n, 3)[:n-1])
			}, want: "1\n"},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				events := tc.events(size)
				if got := readAll(t, bytes.NewReader(events), size); got != tc.want {
					t.Errorf("%d-byte events: decoded %q, want %q", size, got, tc.want)
				}
				// Events cut anywhere, one byte at a time, decode the same.
				if got := readAll(t, iotest.OneByteReader(bytes.NewReader(events)), size); got != tc.want {
					t.Errorf("%d-byte events read a byte at a time: decoded %q, want %q", size, got, tc.want)
				}
			})
		}
	}
}

// TestEvdevReaderSmallBuffer: text is handed out however small the
// caller's buffer, and the device's error comes after the text.
func TestEvdevReaderSmallBuffer(t *testing.T) {
	failure := errors.New("device unplugged")
	r := newEvdevReader(io.MultiReader(bytes.NewReader(typeEvents(24, "FZ-I-7")), iotest.ErrReader(failure)), 24)
	var got []byte
	p := make([]byte, 2)
	for {
		n, err := r.Read(p)
		got = append(got, p[:n]...)
		if err != nil {
			if !errors.Is(err, failure) {
				t.Errorf("error = %v, want %v", err, failure)
			}
			break
		}
	}
	if string(got) != "FZ-I-7\n" {
		t.Errorf("text = %q", got)
	}
}
