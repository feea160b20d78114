// Package homeassistant keeps what integrations read over MQTT up to date:
// each household's retained status and states (freezers, the week's and
// month's figures), the mirror of its scanners' status, its scan events,
// and Home Assistant's MQTT discovery configs. It reaches MQTT only through
// devices.Bus, whose contract (topics, payloads, Home Assistant ids)
// devices holds. It must not import a broker library (mochi, paho), the
// label renderer, the store (db), api, hub or alerts.
package homeassistant

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// DefaultResyncInterval is how often the publisher refreshes everything,
// to follow changes made by other processes.
const DefaultResyncInterval = 15 * time.Minute

// Bounds of the work waiting for the publisher.
const (
	maxPendingEvents = 10000
	seenScans        = 4096 // (device, id) of the latest scan events, to publish a resent scan once
)

// Store is what the publisher reads, acting as the system.
type Store interface {
	FindHouseholds(ctx context.Context) ([]*freezer.Household, error)
	FindHouseholdByID(ctx context.Context, id int64) (*freezer.Household, error)
	FindFreezers(ctx context.Context, filter freezer.FreezerFilter) ([]*freezer.Freezer, error)
	CountInside(ctx context.Context, householdID int64) ([]freezer.InsideGroup, error)
	CountDiscarded(ctx context.Context, householdID int64, since freezer.Date) (int, error)
	FindDevices(ctx context.Context, filter freezer.DeviceFilter) ([]*freezer.Device, error)
	FindAllAlertSettings(ctx context.Context) ([]*freezer.AlertSettings, error)
}

// Config holds the publisher's settings; zero values mean the defaults.
type Config struct {
	Topics         devices.Topics
	Location       *time.Location // whose calendar day "today" is (default Local)
	Now            func() time.Time
	Version        string // the software version given in discovery configs
	ResyncInterval time.Duration
	// HubStatus makes Home Assistant's entities available only while the
	// hub's status topic says "online" as well as the household's: set it
	// on an external broker, where that topic follows the hub's Will.
	HubStatus bool
}

// Publisher keeps what integrations read up to date on MQTT: each
// household's retained status and freezer states, the mirror of its
// scanners' status, its scan events, and its Home Assistant discovery
// configs, re-sent when Home Assistant says it is online and removed when
// what they describe is gone. Callers only queue work: one goroutine
// publishes, so that scans never wait for it.
type Publisher struct {
	config Config
	store  Store
	bus    devices.Bus
	logger *slog.Logger

	mu        sync.Mutex // guards the queued work below
	events    []scanNote
	presence  map[string]string // device → "online"/"offline" seen on its status topic
	dirty     map[int64]bool    // households to refresh
	all       bool              // refresh every household
	force     bool              // publish even what did not change (Home Assistant restarted)
	seen      map[string]bool
	seenOrder []string
	kick      chan struct{}

	work     sync.Mutex                // one pass at a time; guards the state below
	retained map[string]string         // topic → the retained payload last published
	owned    map[int64]map[string]bool // household → the retained topics published for it
	known    map[string]string         // device → its last status seen
	cache    map[string]*freezer.Device
	prefixes map[string]bool // discovery prefixes whose status is subscribed to

	stopped   context.Context
	stop      context.CancelFunc
	wg        sync.WaitGroup
	startOnce sync.Once
}

// scanNote is an answered scan waiting to be published.
type scanNote struct {
	deviceID string
	ack      devices.Ack
	at       time.Time
}

// New returns a publisher on bus; call Start.
func New(cfg Config, store Store, bus devices.Bus, logger *slog.Logger) *Publisher {
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ResyncInterval <= 0 {
		cfg.ResyncInterval = DefaultResyncInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{config: cfg, store: store, bus: bus, logger: logger,
		presence: map[string]string{}, dirty: map[int64]bool{}, seen: map[string]bool{}, kick: make(chan struct{}, 1),
		retained: map[string]string{}, owned: map[int64]map[string]bool{}, known: map[string]string{},
		cache: map[string]*freezer.Device{}, prefixes: map[string]bool{}}
	p.stopped, p.stop = context.WithCancel(context.Background())
	return p
}

// Start subscribes to the devices' status and Home Assistant's, and
// publishes everything once.
func (p *Publisher) Start() error {
	var err error
	p.startOnce.Do(func() {
		if err = p.bus.Subscribe(p.config.Topics.StatusFilter(), p.receivePresence); err != nil {
			return
		}
		p.work.Lock()
		err = p.subscribePrefix(freezer.DefaultDiscoveryPrefix)
		p.work.Unlock()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.loop()
		p.RefreshAll()
	})
	return err
}

// Close stops publishing; work still queued is dropped.
func (p *Publisher) Close() {
	if p == nil {
		return
	}
	p.stop()
	p.wg.Wait()
}

// ScanAnswered queues the scan event of an answered scan; it never blocks.
// A resent scan (same device and id) is published once.
func (p *Publisher) ScanAnswered(deviceID string, ack devices.Ack) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ack.ID != "" {
		key := deviceID + "\x00" + ack.ID
		if p.seen[key] {
			return
		}
		p.seen[key] = true
		p.seenOrder = append(p.seenOrder, key)
		if len(p.seenOrder) > seenScans {
			delete(p.seen, p.seenOrder[0])
			p.seenOrder = p.seenOrder[1:]
		}
	}
	if len(p.events) >= maxPendingEvents {
		p.logger.Warn("scan event dropped: the publisher is behind", "device", deviceID)
		return
	}
	p.events = append(p.events, scanNote{deviceID: deviceID, ack: ack, at: p.config.Now()})
	p.wake()
}

// Changed queues a refresh of a household: its freezers, devices,
// products or settings changed.
func (p *Publisher) Changed(householdID int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.dirty[householdID] = true
	p.wake()
	p.mu.Unlock()
}

// RefreshAll queues a refresh of every household.
func (p *Publisher) RefreshAll() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.all = true
	p.wake()
	p.mu.Unlock()
}

// Republish queues publishing everything again, unchanged topics
// included: after a reconnection, the broker may have lost its retained
// messages (a restart without persistence).
func (p *Publisher) Republish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.all, p.force = true, true
	p.wake()
	p.mu.Unlock()
}

// Sync does now, in the caller's goroutine, the queued work and a refresh
// of every household.
func (p *Publisher) Sync(ctx context.Context) {
	p.RefreshAll()
	p.process(ctx)
}

// wake kicks the loop; the caller holds p.mu.
func (p *Publisher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// receivePresence takes a device's status message; it runs on a broker goroutine.
func (p *Publisher) receivePresence(m devices.Message) {
	defer done(m)
	dev, ok := p.config.Topics.DeviceOfStatus(m.Topic)
	status := strings.TrimSpace(string(m.Payload))
	if !ok || (status != "online" && status != "offline") {
		return
	}
	p.mu.Lock()
	p.presence[dev] = status
	p.wake()
	p.mu.Unlock()
}

// receiveHAStatus makes Home Assistant's birth message ("online") publish everything again.
func (p *Publisher) receiveHAStatus(m devices.Message) {
	defer done(m)
	if strings.TrimSpace(string(m.Payload)) != "online" {
		return
	}
	p.mu.Lock()
	p.all, p.force = true, true
	p.wake()
	p.mu.Unlock()
}

// done acknowledges a message to a bus that waits for it.
func done(m devices.Message) {
	if m.Done != nil {
		m.Done()
	}
}

// subscribePrefix listens to <prefix>/status once per prefix; the caller holds p.work.
func (p *Publisher) subscribePrefix(prefix string) error {
	if p.prefixes[prefix] {
		return nil
	}
	if err := p.bus.Subscribe(devices.DiscoveryTopics{Prefix: prefix}.Status(), p.receiveHAStatus); err != nil {
		return err
	}
	p.prefixes[prefix] = true
	return nil
}

func (p *Publisher) loop() {
	defer p.wg.Done()
	resync := time.NewTicker(p.config.ResyncInterval)
	defer resync.Stop()
	for {
		select {
		case <-p.stopped.Done():
			return
		case <-p.kick:
		case <-resync.C:
			p.RefreshAll()
		}
		p.process(p.stopped)
	}
}
