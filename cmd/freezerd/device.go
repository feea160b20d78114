package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

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
	var root, brokerURL, publicURL, mqttAddr string
	fs := newFlagSet("device add", stderr)
	cfg.register(fs)
	fs.Int64Var(&d.HouseholdID, "household", 0, "id of the household the device belongs to")
	fs.StringVar(&d.Name, "name", "", "a name for the device, e.g. \"garage freezer scanner\"")
	fs.Int64Var(&freezerID, "freezer", 0, "id of the freezer the scanner sits at (optional)")
	fs.StringVar(&d.Mode, "mode", freezer.ModeOut, "the scanner's starting mode: out, in or move")
	fs.StringVar(&d.Kind, "kind", freezer.DeviceScanner, "scanner, or integration for Home Assistant and the like")
	fs.StringVar(&root, "mqtt-root", devices.DefaultRoot, "topic root of the MQTT contract")
	fs.StringVar(&publicURL, "mqtt-public-url", "", "the broker address devices are told, as serve's --mqtt-public-url")
	fs.StringVar(&mqttAddr, "mqtt-addr", ":1883", "the embedded broker's address, as serve's --mqtt-addr: without --mqtt-public-url, devices are told its port on this host")
	fs.StringVar(&brokerURL, "broker", "", "the broker address devices are told, overriding the two above")
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
	if brokerURL == "" {
		brokerURL = deviceBrokerURL(publicURL, mqttAddr)
	}
	return printJSON(stdout, devices.NewCredentials(devices.Topics{Root: root}, d.Kind, d.ID, password, brokerURL))
}

// deviceBrokerURL is the broker address that serve's flags give devices:
// the public URL, else the embedded broker's port on its own host (this
// machine's name when it listens on every address).
func deviceBrokerURL(publicURL, mqttAddr string) string {
	host, port, err := net.SplitHostPort(mqttAddr)
	if err != nil {
		host, port = "", ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if host, err = os.Hostname(); err != nil {
			host = "localhost"
		}
	}
	return devices.BrokerURL(publicURL, host, port)
}
