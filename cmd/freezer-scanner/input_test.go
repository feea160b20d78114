package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLineScanner(t *testing.T) {
	sc := newLineScanner(strings.NewReader("FZ-I-1\rFZ-I-2\r\nFZ-I-3\n\n  FZ-I-4  \nFZ-I-5"))
	var got []string
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			got = append(got, s)
		}
	}
	if want := "FZ-I-1 FZ-I-2 FZ-I-3 FZ-I-4 FZ-I-5"; strings.Join(got, " ") != want || sc.Err() != nil {
		t.Errorf("lines = %q (%v), want %s", got, sc.Err(), want)
	}
}

// TestDeviceReaderReopens: an unplugged device is opened again, and a code
// cut off by the failure is ended, not glued to the next one.
func TestDeviceReaderReopens(t *testing.T) {
	opens := 0
	parts := []string{"FZ-I-1\nFZ-I", "FZ-I-2\n"}
	d := &deviceReader{ctx: context.Background(), path: "/dev/ttyACM0", logger: slog.New(slog.DiscardHandler), retry: time.Millisecond,
		open: func() (io.ReadCloser, error) {
			opens++
			if opens == 2 {
				return nil, errors.New("no such device") // not back yet
			}
			if len(parts) == 0 {
				return io.NopCloser(strings.NewReader("")), nil
			}
			p := parts[0]
			parts = parts[1:]
			return io.NopCloser(strings.NewReader(p)), nil
		}}
	sc := newLineScanner(d)
	var got []string
	for len(got) < 3 && sc.Scan() {
		got = append(got, sc.Text())
	}
	if want := "FZ-I-1|FZ-I|FZ-I-2"; strings.Join(got, "|") != want {
		t.Errorf("lines = %q, want %s", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.ctx = context.Context(ctx)
	d.cur = nil
	if _, err := d.Read(make([]byte, 8)); !errors.Is(err, context.Canceled) {
		t.Errorf("read after the end: %v, want the context's error", err)
	}
}
