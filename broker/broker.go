// Package broker owns the connections to MQTT: the embedded broker
// (mochi-mqtt) with its listeners, connection limits and the device
// authentication and ACL hook, and the two devices.Bus adapters the hub,
// the alert job and the Home Assistant publisher use: the embedded
// broker's inline client, and an external broker through paho (External).
// It imports the root package and devices; never the hub, alerts,
// homeassistant, api or the store, which it reaches through
// DeviceAuthenticator.
package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/throttle"
)

// DefaultMaxPacketSize bounds the packets clients may send: scans are tiny.
const DefaultMaxPacketSize = 16 * 1024

// maxClientWritesPending bounds the messages queued for one client.
const maxClientWritesPending = 512

// authSlowLane is how often an address over its failure limit may still
// try a device that has not failed from it.
const authSlowLane = 5 * time.Second

// clientReadBufferSize is the read buffer each connected client keeps.
const clientReadBufferSize = 512

// Config holds the broker's settings.
type Config struct {
	TCPAddr       string      // plain MQTT, e.g. ":1883"; "" for none
	WebSocketAddr string      // MQTT over WebSocket; "" for none
	TLSAddr       string      // MQTT over TLS; "" for none
	TLSConfig     *tls.Config // required with TLSAddr
	Topics        devices.Topics
	MaxPacketSize uint32 // 0 means DefaultMaxPacketSize
	// DiscoveryPrefix is the Home Assistant discovery prefix integrations may read.
	DiscoveryPrefix string
	// AuthFailuresPerMinute refuses a device id that failed to authenticate
	// this often within a minute from one IP address, and slows down that
	// address (one attempt of a device that has not failed from it every
	// few seconds) once it failed this often in all (0: no limit).
	AuthFailuresPerMinute int
	// ConnectTimeout closes a connection whose CONNECT packet has not
	// arrived in full this long after it was accepted (default DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// MaxConnections bounds the connections on all listeners (default
	// DefaultMaxConnections); MaxPendingPerIP those of one IP address that
	// have not authenticated yet (default DefaultMaxPendingPerIP). Both
	// close a connection beyond the limit as soon as it is accepted.
	MaxConnections  int
	MaxPendingPerIP int
}

// DeviceAuthenticator checks device credentials and records presence.
type DeviceAuthenticator interface {
	AuthenticateDevice(ctx context.Context, id, password string) (*freezer.Device, error)
	SetDeviceOnline(ctx context.Context, id string, online bool) error
}

// Broker is the embedded MQTT broker.
type Broker struct {
	config  Config
	server  *mqtt.Server
	auth    *authHook
	logger  *slog.Logger
	subID   atomic.Int64
	subsMu  sync.Mutex
	subs    map[string][]int // filter → ids of its inline subscriptions
	tcpAddr string
}

// New builds a broker that authenticates devices against auth.
func New(cfg Config, auth DeviceAuthenticator, logger *slog.Logger) (*Broker, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.MaxPacketSize == 0 {
		cfg.MaxPacketSize = DefaultMaxPacketSize
	}
	if cfg.DiscoveryPrefix == "" {
		cfg.DiscoveryPrefix = freezer.DefaultDiscoveryPrefix
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxPendingPerIP <= 0 {
		cfg.MaxPendingPerIP = DefaultMaxPendingPerIP
	}
	limits := newConnLimits(cfg.MaxConnections, cfg.MaxPendingPerIP, cfg.ConnectTimeout)
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumMessageExpiryInterval = 0 // retained messages must never expire
	caps.MaximumPacketSize = cfg.MaxPacketSize
	// mochi's default keeps room for 8192 pending writes per client (64 KiB
	// each, 64 MB for a thousand scanners); a scanner gets a few acks, an
	// integration a burst of discovery configs.
	caps.MaximumClientWritesPending = maxClientWritesPending
	server := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Capabilities: caps,
		// Each client keeps its read buffer while connected; scans, acks
		// and settings fit in far less than mochi's 2 KiB, and a larger
		// packet is read through it all the same.
		ClientNetReadBufferSize: clientReadBufferSize,
		Logger:                  logger.With("component", "mqtt"),
	})
	hook := &authHook{devices: auth, topics: cfg.Topics, discovery: cfg.DiscoveryPrefix, logger: logger,
		failures: throttle.NewLockout(throttle.LockoutLimits{PerIP: cfg.AuthFailuresPerMinute, PerPair: cfg.AuthFailuresPerMinute,
			SlowLane: authSlowLane}, nil),
		trimmer: newBurstTrimmer(), limits: limits}
	if err := server.AddHook(hook, nil); err != nil {
		return nil, fmt.Errorf("mqtt: add auth hook: %w", err)
	}
	b := &Broker{config: cfg, server: server, auth: hook, logger: logger}
	if cfg.TCPAddr != "" {
		tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: cfg.TCPAddr})
		if err := server.AddListener(limitedListener{tcp, limits}); err != nil {
			return nil, fmt.Errorf("mqtt: cannot listen on %s: %w", cfg.TCPAddr, errors.Unwrap(err))
		}
		b.tcpAddr = tcp.Address()
	}
	if cfg.TLSAddr != "" {
		if cfg.TLSConfig == nil {
			b.closeListeners()
			return nil, errors.New("mqtt: a TLS listener needs a certificate")
		}
		if err := server.AddListener(limitedListener{listeners.NewTCP(listeners.Config{ID: "tls", Address: cfg.TLSAddr, TLSConfig: cfg.TLSConfig}), limits}); err != nil {
			b.closeListeners()
			return nil, fmt.Errorf("mqtt: cannot listen on %s: %w", cfg.TLSAddr, errors.Unwrap(err))
		}
	}
	if cfg.WebSocketAddr != "" {
		// The WebSocket listener binds only once serving, and then reports a
		// taken port in a log line: check the address now, for a clear error.
		probe, err := net.Listen("tcp", cfg.WebSocketAddr)
		if err != nil {
			b.closeListeners()
			return nil, fmt.Errorf("mqtt: cannot listen on %s: %w", cfg.WebSocketAddr, errors.Unwrap(err))
		}
		probe.Close()
		if err := server.AddListener(limitedListener{listeners.NewWebsocket(listeners.Config{ID: "ws", Address: cfg.WebSocketAddr}), limits}); err != nil {
			b.closeListeners()
			return nil, fmt.Errorf("mqtt: cannot listen on %s: %w", cfg.WebSocketAddr, errors.Unwrap(err))
		}
	}
	return b, nil
}

func (b *Broker) closeListeners() {
	b.server.Listeners.CloseAll(func(string) {})
}

// Start accepts connections.
func (b *Broker) Start() error {
	if err := b.server.Serve(); err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	return nil
}

// TCPAddr returns the address of the plain MQTT listener, "" without one.
func (b *Broker) TCPAddr() string { return b.tcpAddr }

// ListenerAddr returns the address of listener "tcp", "tls" or "ws", "" without one.
func (b *Broker) ListenerAddr(id string) string {
	if l, ok := b.server.Listeners.Get(id); ok {
		return l.Address()
	}
	return ""
}

// Close disconnects every client and stops the listeners.
func (b *Broker) Close() error {
	b.auth.trimmer.stop()
	b.auth.limits.close(5 * time.Second)
	return b.server.Close()
}

// Disconnect drops a device's connection at once, as when it is revoked.
func (b *Broker) Disconnect(deviceID string) {
	b.auth.forget(deviceID)
	if cl, ok := b.server.Clients.Get(deviceID); ok && !cl.Net.Inline {
		_ = b.server.DisconnectClient(cl, packets.ErrNotAuthorized)
	}
}

// Subscribe implements devices.Bus with an inline subscription. The handler
// runs on the publishing client's goroutine.
func (b *Broker) Subscribe(filter string, handler func(devices.Message)) error {
	id := int(b.subID.Add(1))
	err := b.server.Subscribe(filter, id, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		handler(devices.Message{Topic: pk.TopicName, Payload: append([]byte(nil), pk.Payload...)})
	})
	if err != nil {
		return err
	}
	b.subsMu.Lock()
	defer b.subsMu.Unlock()
	if b.subs == nil {
		b.subs = map[string][]int{}
	}
	b.subs[filter] = append(b.subs[filter], id)
	return nil
}

// Unsubscribe implements devices.Bus: it removes the inline subscriptions of filter.
func (b *Broker) Unsubscribe(filter string) error {
	b.subsMu.Lock()
	ids := b.subs[filter]
	delete(b.subs, filter)
	b.subsMu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, b.server.Unsubscribe(filter, id))
	}
	return errors.Join(errs...)
}

// Publish implements devices.Bus through the inline client, at QoS 1.
func (b *Broker) Publish(topic string, payload []byte, retain bool) error {
	return b.server.Publish(topic, payload, retain, 1)
}

var _ devices.Bus = (*Broker)(nil)

// authHook authenticates devices and confines each to its own topics.
type authHook struct {
	mqtt.HookBase
	devices   DeviceAuthenticator
	topics    devices.Topics
	discovery string
	logger    *slog.Logger

	connected sync.Map // client id → *freezer.Device, for the ACL checks
	failures  *throttle.Lockout

	presenceMu sync.Mutex
	current    map[string]*mqtt.Client // device id → its live connection

	trimmer *burstTrimmer
	limits  *connLimits
}

func (h *authHook) ID() string { return "freezer-device-auth" }

func (h *authHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnPublish:
		return true
	}
	return false
}

// OnConnectAuthenticate accepts a device whose client id and username are
// its id and whose password matches.
func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if cl.Net.Inline {
		return true
	}
	ip := cl.Net.Remote
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	id := string(pk.Connect.Username)
	if ok, _ := h.failures.Allow(ip, id); !ok {
		h.logger.Warn("mqtt connection refused: too many failed attempts from this address", "client", cl.ID, "remote", cl.Net.Remote)
		return false
	}
	if id == "" || id != cl.ID {
		h.failures.Fail(ip, id)
		h.logger.Info("mqtt connection refused: client id and username must both be the device id", "client", cl.ID, "remote", cl.Net.Remote)
		return false
	}
	d, err := h.devices.AuthenticateDevice(context.Background(), id, string(pk.Connect.Password))
	if err != nil {
		if freezer.ErrorCode(err) == freezer.EUNAUTHORIZED {
			h.failures.Fail(ip, id)
		}
		h.logger.Info("mqtt connection refused", "client", cl.ID, "remote", cl.Net.Remote, "err", freezer.ErrorMessage(err))
		return false
	}
	// mochi publishes a Will without an ACL check: it must go where the device may publish.
	if pk.Connect.WillFlag && !h.mayPublish(d, pk.Connect.WillTopic) {
		h.logger.Info("mqtt connection refused: will topic not allowed", "client", cl.ID, "remote", cl.Net.Remote, "topic", pk.Connect.WillTopic)
		return false
	}
	h.connected.Store(cl.ID, d)
	if h.limits != nil {
		h.limits.authenticated(cl.Net.Conn)
	}
	return true
}

func (h *authHook) forget(id string) { h.connected.Delete(id) }

// OnPublish delivers a scan sent with the retain flag as a plain scan: the
// broker must not keep it, or every new subscription would get it again.
func (h *authHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if _, scan := h.topics.DeviceOfScan(pk.TopicName); scan && pk.FixedHeader.Retain {
		pk.FixedHeader.Retain = false
	}
	return pk, nil
}

// OnACLCheck lets a scanner publish only its own scans and status and read
// its own acks and settings; an integration reads its household's topics
// and discovery, and publishes only the Home Assistant status.
func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	v, ok := h.connected.Load(cl.ID)
	if !ok {
		return false
	}
	d := v.(*freezer.Device)
	if write {
		return h.mayPublish(d, topic)
	}
	switch d.Kind {
	case freezer.DeviceScanner:
		return topic == h.topics.Ack(d.ID) || hasPrefix(topic, h.topics.Root+"/dev/"+d.ID+"/set/")
	case freezer.DeviceIntegration:
		return hasPrefix(topic, h.topics.Household(d.HouseholdID)+"/") || h.mayReadDiscovery(d, topic)
	}
	return false
}

// mayReadDiscovery lets an integration subscribe to any filter under the
// discovery prefix (Home Assistant subscribes to "homeassistant/#"), but
// receive only its own household's configs and the status topic: mochi
// checks each delivered message's topic too, and a topic has no wildcard.
func (h *authHook) mayReadDiscovery(d *freezer.Device, topic string) bool {
	rest, ok := strings.CutPrefix(topic, h.discovery+"/")
	if !ok || rest == "" {
		return false
	}
	if strings.ContainsAny(rest, "+#") || rest == "status" {
		return true
	}
	// <prefix>/<component>/<node id>/<object>/config
	parts := strings.Split(rest, "/")
	return len(parts) >= 2 && parts[1] == devices.HANodeID(d.HouseholdID)
}

// mayPublish reports whether device d may publish to topic.
func (h *authHook) mayPublish(d *freezer.Device, topic string) bool {
	switch d.Kind {
	case freezer.DeviceScanner:
		return topic == h.topics.Scan(d.ID) || topic == h.topics.Status(d.ID)
	case freezer.DeviceIntegration:
		return topic == devices.DiscoveryTopics{Prefix: h.discovery}.Status()
	}
	return false
}

// hasPrefix reports whether topic is strictly below prefix.
func hasPrefix(topic, prefix string) bool {
	return len(topic) > len(prefix) && strings.HasPrefix(topic, prefix)
}

// OnSessionEstablished marks the device online and makes this connection
// its current one.
func (h *authHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	if _, ok := h.connected.Load(cl.ID); !ok {
		return
	}
	h.presenceMu.Lock()
	defer h.presenceMu.Unlock()
	if h.current == nil {
		h.current = make(map[string]*mqtt.Client)
	}
	h.current[cl.ID] = cl
	h.setOnline(cl.ID, true)
	h.trimmer.connected()
}

// OnDisconnect marks the device offline, unless a newer connection with the
// same id took over: the old connection's end may come after the new one's
// start, and presence is written under one lock so the last word is right.
func (h *authHook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	if cl.Net.Inline {
		return
	}
	h.presenceMu.Lock()
	defer h.presenceMu.Unlock()
	if h.current[cl.ID] != cl {
		return
	}
	delete(h.current, cl.ID)
	// The new connection keeps the device online. mochi marks the old client
	// taken over only after closing it, so its stop cause is checked too.
	if !cl.IsTakenOver() && !errors.Is(cl.StopCause(), packets.ErrSessionTakenOver) {
		h.setOnline(cl.ID, false)
	}
}

func (h *authHook) setOnline(id string, online bool) {
	if err := h.devices.SetDeviceOnline(context.Background(), id, online); err != nil {
		h.logger.Warn("record device presence", "device", id, "err", err)
	}
}
