package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/freezer-manager/freezer/alerts"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/changes"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/homeassistant"
)

// loadLocation reads --tz: "Local", "UTC" or an IANA name such as "Europe/Paris".
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, usageError{fmt.Errorf("--tz: %w", err)}
	}
	return loc, nil
}

// configureTime makes --tz the time zone of "today" everywhere: product
// dates, stages and the alert schedule, all on one clock.
func (m *Server) configureTime() error {
	loc, err := loadLocation(m.Config.TZ)
	if err != nil {
		return err
	}
	if m.Config.Now == nil {
		m.Config.Now = time.Now
	}
	m.location = loc
	m.DB.Location, m.DB.Now = loc, m.Config.Now
	return nil
}

// openPublisher starts what keeps the household topics and Home Assistant
// discovery up to date on bus.
func (m *Server) openPublisher(bus devices.Bus) error {
	m.Publisher = homeassistant.New(homeassistant.Config{Topics: devices.Topics{Root: m.Config.MQTTRoot},
		Location: m.location, Now: m.Config.Now, Version: Version(), HubStatus: m.External != nil}, m.DB, bus, m.Logger)
	return m.Publisher.Start()
}

// openAlerts starts the alert job, with MQTT deliveries when there is a broker.
func (m *Server) openAlerts() error {
	var bus devices.Bus
	switch {
	case m.Broker != nil:
		bus = m.Broker
	case m.External != nil:
		bus = m.External
	}
	var err error
	m.Alerts, err = alerts.New(alerts.Config{Topics: devices.Topics{Root: m.Config.MQTTRoot},
		Schedule: m.Config.AlertSchedule, Location: m.location, Now: m.Config.Now, Guard: m.guard}, m.DB, bus, m.Publisher, m.Logger)
	if err != nil {
		return usageError{fmt.Errorf("--alert-schedule: %w", errors.Unwrap(err))}
	}
	return nil
}

// watch gives the HTTP layer the alert job and settings, and services that
// tell the publisher what they change and the hub the modes they set.
func (m *Server) watch(services *api.Services) {
	services.Alerts = m.Alerts
	if m.Publisher == nil {
		return
	}
	services.Freezers = changes.WatchFreezers(services.Freezers, m.Publisher)
	services.Devices = changes.WatchDevices(services.Devices, m.Publisher, m.Hub)
	services.Products = changes.WatchProducts(services.Products, m.Publisher)
	services.Households = changes.WatchHouseholds(services.Households, m.Publisher)
	services.AlertSettings = changes.WatchAlertSettings(services.AlertSettings, m.Publisher)
}

// closeAlerts stops the alert job and the publisher.
func (m *Server) closeAlerts() {
	if m.Alerts != nil {
		m.Alerts.Close()
		m.Alerts = nil
	}
	if m.Publisher != nil {
		m.Publisher.Close()
	}
}

func runAlerts(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: freezerd alerts run [--tz ZONE] [--lock-wait DURATION]"
	if len(args) == 0 || args[0] != "run" {
		return usageError{errors.New(usage)}
	}
	var cfg Config
	var targets TargetConfig
	var tz string
	var wait time.Duration
	fs := newFlagSet("alerts run", stderr)
	cfg.register(fs)
	targets.register(fs)
	fs.StringVar(&tz, "tz", "Local", `time zone whose calendar day is "today": Local, UTC or a name such as Europe/Paris`)
	fs.DurationVar(&wait, "lock-wait", alerts.DefaultLockWait, "how long to wait for a run of another process to end")
	if err := parseCommand(fs, args[1:], getenv); err != nil {
		return err
	}
	loc, err := loadLocation(tz)
	if err != nil {
		return err
	}
	guard, err := targets.guard()
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	store, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	store.Location = loc
	// No broker here: MQTT deliveries stay pending for the server, which
	// sends them within a minute.
	job, err := alerts.New(alerts.Config{Schedule: alerts.ScheduleOff, Location: loc, LockWait: wait, Guard: guard}, store, nil, nil, logger)
	if err != nil {
		return err
	}
	run, err := job.Run(ctx)
	if err != nil {
		return fmt.Errorf("run alerts: %w", domainError(err))
	}
	return printJSON(stdout, run)
}
