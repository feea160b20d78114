package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// openInput returns the codes of --input as text, one code a line:
//
//   - "stdin" (or "-"): a keyboard-wedge scanner typing into the terminal,
//     or codes piped in; the end of stdin is the end of the input.
//   - a path under /dev/input/, or "evdev:PATH": a Linux input device,
//     grabbed so that its keys reach no one else, decoded by evdevReader.
//   - any other path, or "serial:PATH": a serial port (or a USB-CDC
//     scanner) whose lines are read as they come; set its line settings
//     beforehand if they matter, e.g. stty -F /dev/ttyACM0 raw 9600.
//     A regular file is read once.
//
// A device that disappears (unplugged) is opened again until ctx ends.
func openInput(ctx context.Context, input string, stdin io.Reader, logger *slog.Logger) (io.Reader, func(), error) {
	switch {
	case input == "stdin" || input == "-":
		return stdin, func() {}, nil
	case strings.HasPrefix(input, "evdev:"):
		return openDevice(ctx, strings.TrimPrefix(input, "evdev:"), true, logger)
	case strings.HasPrefix(input, "serial:"):
		return openDevice(ctx, strings.TrimPrefix(input, "serial:"), false, logger)
	}
	return openDevice(ctx, input, strings.HasPrefix(input, "/dev/input/"), logger)
}

// openDevice opens path once to report a bad path at start, then returns a
// reader that opens it again whenever it fails.
func openDevice(ctx context.Context, path string, evdev bool, logger *slog.Logger) (io.Reader, func(), error) {
	open := func() (io.ReadCloser, error) {
		f, err := os.OpenFile(path, os.O_RDONLY|deviceOpenFlags, 0)
		if err != nil {
			return nil, err
		}
		if !evdev {
			return f, nil
		}
		if err := grabInput(f); err != nil {
			logger.Warn("cannot take the input device for the bridge alone: its keys also reach the console", "input", path, "err", err)
		}
		return readCloser{newEvdevReader(f, eventSize), f}, nil
	}
	first, err := open()
	if err != nil {
		return nil, nil, fmt.Errorf("open input: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		return first, func() { first.Close() }, nil
	}
	d := &deviceReader{ctx: ctx, path: path, open: open, cur: first, logger: logger, retry: time.Second}
	return d, d.close, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// deviceReader reads a device and opens it again after an error or an end,
// so that a scanner can be unplugged and plugged back.
type deviceReader struct {
	ctx    context.Context
	path   string
	open   func() (io.ReadCloser, error)
	cur    io.ReadCloser
	logger *slog.Logger
	retry  time.Duration
	broken bool // a newline is due, to end a code cut off by the failure
}

// Read returns the device's bytes; its only error is the context's.
func (d *deviceReader) Read(p []byte) (int, error) {
	for {
		if d.cur == nil {
			f, err := d.open()
			if err != nil {
				if err := d.sleep(); err != nil {
					return 0, err
				}
				continue
			}
			d.logger.Info("input device is back", "input", d.path)
			d.cur = f
		}
		if d.broken && len(p) > 0 {
			d.broken = false
			p[0] = '\n'
			return 1, nil
		}
		n, err := d.cur.Read(p)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			continue
		}
		d.logger.Warn("input device lost; waiting for it", "input", d.path, "err", err)
		d.cur.Close()
		d.cur, d.broken = nil, true
		if err := d.sleep(); err != nil {
			return 0, err
		}
	}
}

func (d *deviceReader) sleep() error {
	select {
	case <-d.ctx.Done():
		return d.ctx.Err()
	case <-time.After(d.retry):
		return nil
	}
}

func (d *deviceReader) close() {
	if d.cur != nil {
		d.cur.Close()
	}
}

// MaxLine bounds a line of input: far more than any code, so that only
// binary noise (a wrong --input) exceeds it.
const MaxLine = 64 * 1024

// newLineScanner splits input into lines ended by LF, CR or CR LF, as
// scanners end their codes one way or another.
func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), MaxLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			return i + 1, data[:i], nil // the LF of a CR LF makes an empty line, skipped later
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	return sc
}
