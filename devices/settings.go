package devices

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

// Credentials are what a new device needs to connect, shown once.
type Credentials struct {
	DeviceID string `json:"device_id"`
	Username string `json:"username"`
	Password string `json:"password"`
	Broker   string `json:"broker"` // e.g. tcp://freezer.lan:1883
	// The scan settings below are a scanner's; empty for an integration.
	ScanTopic string `json:"scan_topic"`
	AckTopic  string `json:"ack_topic"`
	// ScannerBridge is the command line of freezer-scanner on a Raspberry Pi.
	ScannerBridge string `json:"scanner_bridge"`
	// ESPHome is the secrets.yaml snippet for devices/esphome/freezer-scanner.yaml.
	ESPHome string `json:"esphome"`
}

// NewCredentials returns the credentials of a device of kind, with
// ready-to-paste settings for a scanner.
func NewCredentials(topics Topics, kind, deviceID, password, broker string) Credentials {
	creds := Credentials{DeviceID: deviceID, Username: deviceID, Password: password, Broker: broker}
	if kind == freezer.DeviceIntegration {
		return creds
	}
	host, port := "localhost", "1883"
	if u, err := url.Parse(broker); err == nil && u.Hostname() != "" {
		host = u.Hostname()
		if u.Port() != "" {
			port = u.Port()
		}
	}
	creds.ScanTopic, creds.AckTopic = topics.Scan(deviceID), topics.Ack(deviceID)
	creds.ScannerBridge = fmt.Sprintf("freezer-scanner --broker %s --device %s --password %s --root %s",
		broker, deviceID, password, topics.Root)
	creds.ESPHome = strings.Join([]string{
		"mqtt_broker: " + yamlQuote(host),
		"mqtt_port: " + port,
		"freezer_device_id: " + yamlQuote(deviceID),
		"freezer_device_password: " + yamlQuote(password),
		"freezer_topic_root: " + yamlQuote(topics.Root),
	}, "\n") + "\n"
	return creds
}

// yamlQuote writes s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// BrokerURL is the broker address a new device is told to use: publicURL
// when the operator set one, else host at the embedded broker's port (1883
// when port is "").
func BrokerURL(publicURL, host, port string) string {
	if publicURL != "" {
		return publicURL
	}
	if port == "" {
		port = "1883"
	}
	return "tcp://" + net.JoinHostPort(host, port)
}
