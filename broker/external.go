package broker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/freezer-manager/freezer/devices"
)

// DefaultShareGroup is the shared-subscription group of hub replicas.
const DefaultShareGroup = "freezer-hub"

// Defaults of an external broker's timings.
const (
	DefaultExternalTimeout   = 10 * time.Second
	DefaultPublishTimeout    = time.Second
	DefaultKeepAlive         = 3 * time.Second
	DefaultReconnectInterval = time.Second
)

// ErrNotConnected is returned by Publish while the connection to the
// external broker is down: the message is not sent, and nothing waits.
var ErrNotConnected = errors.New("mqtt: not connected to the broker")

// ExternalConfig connects the hub to an external broker.
type ExternalConfig struct {
	URL      string // e.g. tcp://mosquitto:1883, ssl://…, ws://…
	Username string
	Password string
	ClientID string // "" makes one from the host name; one per replica
	Topics   devices.Topics
	// ShareGroup makes the scan subscription shared, so that replicas split
	// the scans; "" subscribes plainly.
	ShareGroup string
	Timeout    time.Duration // connect and subscribe timeout (default 10 s)
	// PublishTimeout bounds how long Publish waits for the broker's PUBACK
	// (default 1 s); after one timeout, publishes fail at once until the
	// broker answers again.
	PublishTimeout time.Duration
	// KeepAlive is the MQTT keep-alive (default 3 s): the broker drops a
	// replica whose connection went silent after 1.5 times this (Mosquitto
	// looks every 5 s or so), and the replica drops a silent broker after
	// twice this.
	KeepAlive time.Duration
	// ReconnectInterval is the longest wait between reconnection attempts
	// (default 1 s).
	ReconnectInterval time.Duration
	// OnReconnect, when set, runs (on paho's connect goroutine) after every
	// reconnection, once the subscriptions are renewed.
	OnReconnect func()
}

// External is a devices.Bus on an external MQTT broker, through paho. Its
// session is clean: a replica that dies leaves no session behind that
// would keep receiving its share of the scans, and one that restarts takes
// its share again at once (docs/mqtt.md, "Several hubs"). It acknowledges
// each message to the broker only after the hub has processed it,
// resubscribes after a reconnect, never makes a caller wait on a broker
// that is gone, and keeps the hub's retained status with a Will.
type External struct {
	config ExternalConfig
	client paho.Client
	logger *slog.Logger

	mu   sync.Mutex
	subs map[string]func(devices.Message) // filter → handler, for resubscribing and routing

	connects atomic.Int64 // connections made, the first included
	stalled  atomic.Bool  // a publish timed out and the broker has not answered since
	closing  atomic.Bool
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
	setDuration(&cfg.Timeout, DefaultExternalTimeout)
	setDuration(&cfg.PublishTimeout, DefaultPublishTimeout)
	setDuration(&cfg.KeepAlive, DefaultKeepAlive)
	setDuration(&cfg.ReconnectInterval, DefaultReconnectInterval)
	if cfg.ClientID == "" {
		cfg.ClientID = defaultClientID()
	}
	e := &External{config: cfg, logger: logger, subs: make(map[string]func(devices.Message))}
	opts := paho.NewClientOptions().
		AddBroker(cfg.URL).
		SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetCleanSession(true).
		SetOrderMatters(false).
		SetAutoAckDisabled(true).
		SetDefaultPublishHandler(e.route).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(cfg.ReconnectInterval).
		SetConnectTimeout(cfg.Timeout).
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(cfg.KeepAlive).
		SetWriteTimeout(cfg.PublishTimeout).
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
	// A replica that dies takes the hub's status offline through its Will,
	// for every replica; the others put it back.
	if err := e.Subscribe(cfg.Topics.HubStatus(), e.keepOnline); err != nil {
		e.client.Disconnect(0)
		return nil, err
	}
	return e, nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// defaultClientID is distinct across hosts; replicas on one host need
// --mqtt-client-id each, or the broker takes one's connection for the
// other's.
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
// subscription is renewed (a clean session keeps none). The status goes out
// at QoS 0, without waiting: a later one (another replica's answer to a
// Will) takes its place anyway.
func (e *External) onConnect(c paho.Client) {
	e.stalled.Store(false)
	n := e.connects.Add(1)
	c.Publish(e.config.Topics.HubStatus(), 0, true, "online")
	if n == 1 {
		return // DialExternal subscribes
	}
	e.logger.Info("mqtt: reconnected to the external broker")
	e.mu.Lock()
	filters := make([]string, 0, len(e.subs))
	for filter := range e.subs {
		filters = append(filters, filter)
	}
	e.mu.Unlock()
	for _, filter := range filters {
		if err := e.subscribe(filter); err != nil {
			e.logger.Error("mqtt: resubscribe", "filter", filter, "err", err)
		}
	}
	if e.config.OnReconnect != nil {
		e.config.OnReconnect()
	}
}

// keepOnline answers another replica's Will (or clean shutdown) with this
// one's "online" while it runs.
func (e *External) keepOnline(m devices.Message) {
	if m.Done != nil {
		m.Done()
	}
	if string(m.Payload) == "offline" && !e.closing.Load() {
		e.client.Publish(e.config.Topics.HubStatus(), 1, true, "online")
	}
}

// Subscribe subscribes at QoS 1; with a share group the scan subscription
// is shared among the hub replicas (the hub's own status never is). Each
// message is acknowledged to the broker when the handler's message is Done.
func (e *External) Subscribe(filter string, handler func(devices.Message)) error {
	e.mu.Lock()
	e.subs[filter] = handler
	e.mu.Unlock()
	return e.subscribe(filter)
}

// Unsubscribe implements devices.Bus: the broker stops delivering filter's
// messages here (a shared subscription's go to the other replicas), and a
// reconnection does not subscribe it again.
func (e *External) Unsubscribe(filter string) error {
	e.mu.Lock()
	delete(e.subs, filter)
	e.mu.Unlock()
	subscription := e.subscription(filter)
	tok := e.client.Unsubscribe(subscription)
	if !tok.WaitTimeout(e.config.Timeout) {
		return fmt.Errorf("mqtt: unsubscribe %s: timed out", subscription)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: unsubscribe %s: %w", subscription, err)
	}
	return nil
}

// subscribe sends the subscription; messages reach their handler through
// route, which paho knows before it connects.
func (e *External) subscribe(filter string) error {
	subscription := e.subscription(filter)
	tok := e.client.Subscribe(subscription, 1, nil)
	if !tok.WaitTimeout(e.config.Timeout) {
		return fmt.Errorf("mqtt: subscribe %s: timed out", subscription)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: subscribe %s: %w", subscription, err)
	}
	return nil
}

// route hands a message to the handler of the first subscription it
// matches. A message nobody handles is acknowledged all the same: left
// unacknowledged it would hold one of the session's in-flight slots, and
// enough of them stop the broker from sending anything more.
func (e *External) route(_ paho.Client, m paho.Message) {
	e.mu.Lock()
	var handler func(devices.Message)
	for filter, h := range e.subs {
		if topicMatches(filter, m.Topic()) {
			handler = h
			break
		}
	}
	e.mu.Unlock()
	if handler == nil {
		m.Ack()
		return
	}
	handler(devices.Message{Topic: m.Topic(), Payload: m.Payload(), Done: m.Ack, Retained: m.Retained()})
}

// topicMatches reports whether an MQTT topic filter (with + and #) matches topic.
func topicMatches(filter, topic string) bool {
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) || (f != "+" && f != ts[i]) {
			return false
		}
	}
	return len(fs) == len(ts)
}

// Publish sends a QoS 1 message and waits until the broker has it, for
// PublishTimeout at most. While the connection is down it fails at once
// with ErrNotConnected, and after a timeout it fails at once until the
// broker answers again: the scan writer publishes acks inline, and a
// device resends an unacknowledged scan, which gets its stored ack again.
func (e *External) Publish(topic string, payload []byte, retain bool) error {
	if !e.client.IsConnectionOpen() {
		return fmt.Errorf("mqtt: publish %s: %w", topic, ErrNotConnected)
	}
	tok := e.client.Publish(topic, 1, retain, payload)
	if e.stalled.Load() {
		select {
		case <-tok.Done():
		default:
			return errors.New("mqtt: publish " + topic + ": the broker is not answering")
		}
	} else if !tok.WaitTimeout(e.config.PublishTimeout) {
		if !e.stalled.Swap(true) {
			go func() {
				<-tok.Done()
				e.stalled.Store(false)
			}()
		}
		return errors.New("mqtt: publish " + topic + ": timed out")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: publish %s: %w", topic, err)
	}
	return nil
}

// Connected reports whether the connection to the broker is up.
func (e *External) Connected() bool { return e.client.IsConnectionOpen() }

// Close leaves the subscriptions, marks the hub offline and disconnects.
// Leaving first means no scan is routed here while the hub stops.
func (e *External) Close() {
	e.closing.Store(true)
	if e.client.IsConnectionOpen() {
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

// subscription is the broker-side filter of filter: the scans are shared
// when a group is configured.
func (e *External) subscription(filter string) string {
	if e.config.ShareGroup == "" || filter == e.config.Topics.HubStatus() {
		return filter
	}
	return "$share/" + e.config.ShareGroup + "/" + filter
}
