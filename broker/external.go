package broker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/freezer-manager/freezer/devices"
)

// DefaultShareGroup is the shared-subscription group of hub replicas.
const DefaultShareGroup = "freezer-hub"

// ExternalConfig connects the hub to an external broker.
type ExternalConfig struct {
	URL      string // e.g. tcp://mosquitto:1883, ssl://…, ws://…
	Username string
	Password string
	ClientID string // "" makes one from the host name; keep it stable across restarts for a persistent session
	Topics   devices.Topics
	// ShareGroup makes the scan subscription shared, so that replicas split
	// the scans; "" subscribes plainly.
	ShareGroup string
	Timeout    time.Duration // connect and publish timeout (default 10 s)
}

// External is a devices.Bus on an external MQTT broker, through paho. It
// keeps a persistent session, acknowledges each message to the broker only
// after the hub has processed it, resubscribes after a reconnect, and keeps
// the hub's retained status with a Will.
type External struct {
	config ExternalConfig
	client paho.Client
	logger *slog.Logger

	mu   sync.Mutex
	subs map[string]func(devices.Message) // filter → handler, for resubscribing
}

var _ devices.Bus = (*External)(nil)

// DialExternal connects to the broker and publishes the hub as online.
func DialExternal(cfg ExternalConfig, logger *slog.Logger) (*External, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ClientID == "" {
		cfg.ClientID = defaultClientID()
	}
	e := &External{config: cfg, logger: logger, subs: make(map[string]func(devices.Message))}
	opts := paho.NewClientOptions().
		AddBroker(cfg.URL).
		SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetCleanSession(false).
		SetOrderMatters(false).
		SetAutoAckDisabled(true).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(10*time.Second).
		SetConnectTimeout(cfg.Timeout).
		SetWill(cfg.Topics.HubStatus(), "offline", 1, true).
		SetOnConnectHandler(e.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			logger.Warn("mqtt: connection to the external broker lost; reconnecting", "err", err)
		})
	e.client = paho.NewClient(opts)
	tok := e.client.Connect()
	if !tok.WaitTimeout(cfg.Timeout) {
		e.client.Disconnect(0)
		return nil, fmt.Errorf("mqtt: connect to %s: timed out after %s", cfg.URL, cfg.Timeout)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("mqtt: connect to %s: %w", cfg.URL, err)
	}
	if err := e.Publish(cfg.Topics.HubStatus(), []byte("online"), true); err != nil {
		e.client.Disconnect(0)
		return nil, err
	}
	return e, nil
}

// defaultClientID is stable for one host, so that a restarted hub finds
// its persistent session, and distinct across hosts.
func defaultClientID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		host = hex.EncodeToString(b)
	}
	return "freezer-hub-" + host
}

// onConnect runs after every (re)connection: the hub is online and every
// subscription is renewed. The status goes out at QoS 0 here: paho replays
// its persistent session's stored QoS 1 messages at this very moment, and a
// QoS 1 message published now would be replayed while it is being sent.
// DialExternal publishes the first one at QoS 1.
func (e *External) onConnect(c paho.Client) {
	c.Publish(e.config.Topics.HubStatus(), 0, true, "online")
	e.mu.Lock()
	defer e.mu.Unlock()
	for filter, handler := range e.subs {
		if err := e.subscribe(filter, handler); err != nil {
			e.logger.Error("mqtt: resubscribe", "filter", filter, "err", err)
		}
	}
}

// Subscribe subscribes at QoS 1; with a share group the subscription is
// shared among the hub replicas. Each message is acknowledged to the broker
// when the handler's message is Done.
func (e *External) Subscribe(filter string, handler func(devices.Message)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.subs[filter] = handler
	return e.subscribe(filter, handler)
}

func (e *External) subscribe(filter string, handler func(devices.Message)) error {
	subscription := e.subscription(filter)
	tok := e.client.Subscribe(subscription, 1, func(_ paho.Client, m paho.Message) {
		handler(devices.Message{Topic: m.Topic(), Payload: m.Payload(), Done: m.Ack, Retained: m.Retained()})
	})
	if !tok.WaitTimeout(e.config.Timeout) {
		return fmt.Errorf("mqtt: subscribe %s: timed out", subscription)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: subscribe %s: %w", subscription, err)
	}
	return nil
}

// Publish sends a QoS 1 message and waits until the broker has it.
func (e *External) Publish(topic string, payload []byte, retain bool) error {
	tok := e.client.Publish(topic, 1, retain, payload)
	if !tok.WaitTimeout(e.config.Timeout) {
		return errors.New("mqtt: publish " + topic + ": timed out")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: publish %s: %w", topic, err)
	}
	return nil
}

// Close leaves the subscriptions, marks the hub offline and disconnects.
// Leaving matters with a persistent session: a broker keeps routing a share
// of the scans to a subscribed session even while it is offline.
func (e *External) Close() {
	if e.client.IsConnected() {
		e.mu.Lock()
		for filter := range e.subs {
			e.client.Unsubscribe(e.subscription(filter)).WaitTimeout(time.Second)
		}
		e.subs = map[string]func(devices.Message){}
		e.mu.Unlock()
		e.client.Publish(e.config.Topics.HubStatus(), 1, true, "offline").WaitTimeout(time.Second)
	}
	e.client.Disconnect(250)
}

// subscription is the broker-side filter of filter: shared when configured.
func (e *External) subscription(filter string) string {
	if e.config.ShareGroup == "" {
		return filter
	}
	return "$share/" + e.config.ShareGroup + "/" + filter
}
