package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

func runDevice(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "usage: freezerd device add --household H --name N [--freezer F] [--mode out|in|move] [--kind scanner|integration]"
	if len(args) == 0 || args[0] != "add" {
		return usageError{errors.New(usage)}
	}
	var cfg Config
	var d freezer.Device
	var freezerID int64
	var root, brokerURL string
	fs := newFlagSet("device add", stderr)
	cfg.register(fs)
	fs.Int64Var(&d.HouseholdID, "household", 0, "id of the household the device belongs to")
	fs.StringVar(&d.Name, "name", "", "a name for the device, e.g. \"garage freezer scanner\"")
	fs.Int64Var(&freezerID, "freezer", 0, "id of the freezer the scanner sits at (optional)")
	fs.StringVar(&d.Mode, "mode", freezer.ModeOut, "the scanner's starting mode: out, in or move")
	fs.StringVar(&d.Kind, "kind", freezer.DeviceScanner, "scanner, or integration for Home Assistant and the like")
	fs.StringVar(&root, "mqtt-root", devices.DefaultRoot, "topic root of the MQTT contract")
	fs.StringVar(&brokerURL, "broker", "tcp://localhost:1883", "the broker address devices connect to, for the printed settings")
	if err := parseCommand(fs, args[1:], getenv); err != nil {
		return err
	}
	if d.HouseholdID == 0 || d.Name == "" {
		return usageError{errors.New(usage)}
	}
	if freezerID != 0 {
		d.FreezerID = &freezerID
	}
	store, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	password, err := store.CreateDevice(freezer.SystemContext(ctx), &d)
	if err != nil {
		return fmt.Errorf("add device: %w", domainError(err))
	}
	return printJSON(stdout, devices.NewCredentials(devices.Topics{Root: root}, d.ID, password, brokerURL))
}
