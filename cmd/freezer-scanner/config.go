package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/freezer-manager/freezer/devices"
)

// Config holds the bridge's settings, from flags and FREEZER_SCANNER_* variables.
type Config struct {
	Broker     string
	Device     string
	Password   string
	Root       string
	StateDir   string
	Input      string
	Simulate   bool
	AckTimeout time.Duration
	QueueSize  int
	LogLevel   string
}

// register adds the flags to fs.
func (c *Config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Broker, "broker", "tcp://localhost:1883", "MQTT broker: tcp://host:1883, ssl://host:8883 or ws://host/mqtt")
	fs.StringVar(&c.Device, "device", "", "device id, as printed by \"freezerd device add\" (required)")
	fs.StringVar(&c.Password, "password", "", "device password (better in FREEZER_SCANNER_PASSWORD than on the command line)")
	fs.StringVar(&c.Root, "root", devices.DefaultRoot, "topic root of the MQTT contract")
	fs.StringVar(&c.StateDir, "state-dir", "./freezer-scanner-state", "directory of the queue and sequence file (created if missing)")
	fs.StringVar(&c.Input, "input", "stdin", "where codes come from: stdin, a serial port (/dev/ttyACM0) or an input device (/dev/input/eventN)")
	fs.BoolVar(&c.Simulate, "simulate", false, "read codes from stdin, one per line (same as --input stdin)")
	fs.DurationVar(&c.AckTimeout, "ack-timeout", DefaultAckTimeout, "wait for an ack before sending a scan again (doubles up to 30s)")
	fs.IntVar(&c.QueueSize, "queue-size", DefaultQueueSize, "codes kept at most while the hub does not answer")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// errUsage marks errors that call for the usage text.
var errUsage = errors.New("usage")

// parseConfig reads the settings: each flag from its environment twin
// first, then from args, so that the command line wins.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("freezer-scanner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: freezer-scanner --broker tcp://host:1883 --device ID --password PASSWORD [--input stdin|/dev/ttyACM0|/dev/input/eventN]\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nEvery flag also reads FREEZER_SCANNER_<NAME> from the environment, e.g. FREEZER_SCANNER_PASSWORD.\n")
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(EnvName(f.Name)); v != "" && err == nil {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("%w: environment %s: %v", errUsage, EnvName(f.Name), setErr)
			}
		}
	})
	if err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return c, c.validate()
}

// validate checks the settings and fills in what follows from them.
func (c *Config) validate() error {
	if c.Device == "" || strings.ContainsAny(c.Device, "/+#\x00") || strings.TrimSpace(c.Device) != c.Device {
		return fmt.Errorf("%w: --device must be a device id, as printed by \"freezerd device add\"", errUsage)
	}
	if c.Simulate {
		if c.Input != "stdin" && c.Input != "-" {
			return fmt.Errorf("%w: --simulate reads stdin; leave out --input %s", errUsage, c.Input)
		}
		c.Input = "stdin"
	}
	if c.Input == "" {
		return fmt.Errorf("%w: --input must not be empty", errUsage)
	}
	if c.Root == "" || strings.ContainsAny(c.Root, "+#") || strings.HasSuffix(c.Root, "/") {
		return fmt.Errorf("%w: --root must be a topic prefix such as %s", errUsage, devices.DefaultRoot)
	}
	if !strings.Contains(c.Broker, "://") {
		c.Broker = "tcp://" + c.Broker // host:port alone
	}
	if c.AckTimeout <= 0 || c.QueueSize <= 0 {
		return fmt.Errorf("%w: --ack-timeout and --queue-size must be positive", errUsage)
	}
	if _, err := c.level(); err != nil {
		return err
	}
	return nil
}

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("%w: --log-level must be debug, info, warn or error", errUsage)
	}
	return l, nil
}

// bridge returns the bridge's part of the settings.
func (c *Config) bridge() BridgeConfig {
	return BridgeConfig{Broker: c.Broker, Device: c.Device, Password: c.Password,
		Topics: devices.Topics{Root: c.Root}, AckTimeout: c.AckTimeout}
}

// EnvName returns the environment twin of a flag: state-dir → FREEZER_SCANNER_STATE_DIR.
func EnvName(flagName string) string {
	return "FREEZER_SCANNER_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
