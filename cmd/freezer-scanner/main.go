// Command freezer-scanner connects a barcode scanner on a Raspberry Pi (or
// any Linux box) to the freezer hub over MQTT. It reads codes, one a line,
// from a keyboard-wedge scanner typing into the terminal (--input stdin), a
// serial or USB-CDC scanner (--input /dev/ttyACM0; set the line first if
// needed: stty -F /dev/ttyACM0 raw 9600) or a Linux input device (--input
// /dev/input/eventN, grabbed and decoded here). Each code is published as
// {"id":"<device>-<run>-<n>","code":"…"} at QoS 1 to the device's scan
// topic (<run>: random, drawn at each start; <n>: counted in memory) and
// sent again, with the same id, until the hub's ack arrives; the answer is
// shown on stdout, with the terminal bell for errors. Codes wait in a small
// file under --state-dir, with their ids, so that those read while the
// broker is unreachable are sent later, in order.
//
//	freezer-scanner --broker tcp://freezer.lan:1883 --device scanner-k3v9x2ma --password … [--input …]
//	echo FZ-I-000123 | freezer-scanner --simulate --device … --password …
//
// Every flag also reads FREEZER_SCANNER_<NAME> from the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the bridge with args and returns the exit code: 0 when it ends
// (at the end of its input once every code is acknowledged, or on a
// signal), 1 on an error, 2 on a usage error.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		fmt.Fprintln(stderr, "freezer-scanner:", err)
		return 2
	}
	level, _ := cfg.level()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := bridge(ctx, cfg, stdin, stdout, logger); err != nil {
		fmt.Fprintln(stderr, "freezer-scanner:", err)
		return 1
	}
	return 0
}

func bridge(ctx context.Context, cfg Config, stdin io.Reader, stdout io.Writer, logger *slog.Logger) error {
	q, err := OpenQueue(cfg.StateDir, cfg.Device, cfg.QueueSize)
	if err != nil {
		return err
	}
	defer q.Close()
	input, closeInput, err := openInput(ctx, cfg.Input, stdin, logger)
	if err != nil {
		return err
	}
	defer closeInput()
	return NewBridge(cfg.bridge(), q, stdout, logger).Run(ctx, input)
}
