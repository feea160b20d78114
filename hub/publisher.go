package hub

import (
	"context"
	"log/slog"
	"slices"
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

// PublisherStore is what the publisher reads, acting as the system.
type PublisherStore interface {
	FindHouseholds(ctx context.Context) ([]*freezer.Household, error)
	FindHouseholdByID(ctx context.Context, id int64) (*freezer.Household, error)
	FindFreezers(ctx context.Context, filter freezer.FreezerFilter) ([]*freezer.Freezer, error)
	CountInside(ctx context.Context, householdID int64) ([]freezer.InsideGroup, error)
	CountDiscarded(ctx context.Context, householdID int64, since freezer.Date) (int, error)
	FindDevices(ctx context.Context, filter freezer.DeviceFilter) ([]*freezer.Device, error)
	FindAllAlertSettings(ctx context.Context) ([]*freezer.AlertSettings, error)
}

// PublisherConfig holds the publisher's settings; zero values mean the defaults.
type PublisherConfig struct {
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
	config PublisherConfig
	store  PublisherStore
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

// NewPublisher returns a publisher on bus; call Start.
func NewPublisher(cfg PublisherConfig, store PublisherStore, bus devices.Bus, logger *slog.Logger) *Publisher {
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.ResyncInterval, DefaultResyncInterval)
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

// ModeChanged tells a scanner its new mode on its set/mode topic.
func (p *Publisher) ModeChanged(deviceID, mode string) {
	if p == nil {
		return
	}
	if err := p.bus.Publish(p.config.Topics.SetMode(deviceID), []byte(mode), false); err != nil {
		p.logger.Warn("publish mode", "device", deviceID, "err", err)
	}
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
	if err := p.bus.Subscribe(prefix+"/status", p.receiveHAStatus); err != nil {
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

// process publishes the queued work.
func (p *Publisher) process(ctx context.Context) {
	p.work.Lock()
	defer p.work.Unlock()
	p.mu.Lock()
	events, presence, dirty, all, force := p.events, p.presence, p.dirty, p.all, p.force
	p.events, p.presence, p.dirty, p.all, p.force = nil, map[string]string{}, map[int64]bool{}, false, false
	p.mu.Unlock()
	counts := map[int64]bool{}

	ctx = freezer.SystemContext(ctx)
	if all {
		clear(p.cache) // names may have changed
	}
	for dev, status := range presence {
		d := p.device(ctx, dev)
		if d == nil {
			continue
		}
		p.known[dev] = status
		p.publishRetained(d.HouseholdID, p.config.Topics.DeviceState(d.HouseholdID, dev), status, false)
	}
	for i, e := range events {
		d := p.device(ctx, e.deviceID)
		if d == nil {
			continue
		}
		msg := devices.NewScanEventMessage(d, e.ack, e.at)
		if err := p.bus.Publish(p.config.Topics.Events(d.HouseholdID), msg.Encode(), false); err != nil {
			p.logger.Warn("scan events kept until the broker is back", "device", d.ID, "events", len(events)-i, "err", err)
			p.keep(events[i:])
			for _, rest := range events[i:] {
				if changesProducts(rest.ack) {
					if d := p.device(ctx, rest.deviceID); d != nil {
						counts[d.HouseholdID] = true
					}
				}
			}
			break
		}
		if changesProducts(e.ack) {
			counts[d.HouseholdID] = true
		}
	}
	if all {
		dirty = nil
	}
	if all || len(dirty) > 0 {
		if err := p.refresh(ctx, dirty, force); err != nil && ctx.Err() == nil {
			p.logger.Error("publish household states", "err", err)
		}
	}
	for h := range counts {
		if all || dirty[h] {
			continue // just refreshed
		}
		if err := p.recount(ctx, h); err != nil && ctx.Err() == nil {
			p.logger.Error("publish freezer states", "household", h, "err", err)
		}
	}
}

// recount publishes a household's freezer states after scans: it reads the
// household (its due-soon window) and its freezers, a few rows, and counts
// its products inside by group, instead of reading them. Another replica
// may have published a state computed before this one's last commit: a
// state is published again even when it did not change here, so that the
// latest count wins.
func (p *Publisher) recount(ctx context.Context, householdID int64) error {
	h, err := p.store.FindHouseholdByID(ctx, householdID)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return nil // deleted: the next refresh clears its topics
	} else if err != nil {
		return err
	}
	freezers, err := p.store.FindFreezers(ctx, freezer.FreezerFilter{HouseholdID: &householdID})
	if err != nil {
		return err
	}
	groups, err := p.store.CountInside(ctx, householdID)
	if err != nil {
		return err
	}
	today := freezer.Today(p.config.Now(), p.config.Location)
	for f, st := range freezerStates(freezers, groups, today, h.DueSoonDays) {
		p.publishRetained(householdID, p.config.Topics.FreezerState(householdID, f), string(st.Encode()), true)
	}
	st, err := p.householdState(ctx, householdID, groups, today)
	if err != nil {
		return err
	}
	p.publishRetained(householdID, p.config.Topics.HouseholdState(householdID), string(st.Encode()), true)
	return nil
}

// householdState counts a household's products due this week, from its
// groups inside, and those thrown away this month.
func (p *Publisher) householdState(ctx context.Context, householdID int64, groups []freezer.InsideGroup, today freezer.Date) (devices.HouseholdState, error) {
	var st devices.HouseholdState
	for _, g := range groups {
		if g.DueWithin(today, 7) {
			st.DueThisWeek += g.Count
		}
	}
	n, err := p.store.CountDiscarded(ctx, householdID, freezer.Date{Year: today.Year, Month: today.Month, Day: 1})
	st.DiscardedThisMonth = n
	return st, err
}

// keep puts scan events that could not be published back in front of the
// queue, within its bound, for the next pass after a reconnection
// (Republish); it does not wake the loop, which would only fail again.
func (p *Publisher) keep(events []scanNote) {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := maxPendingEvents - len(p.events)
	if room < len(events) {
		p.logger.Warn("scan events dropped: the broker is away and the publisher is full", "events", len(events)-max(room, 0))
		events = events[:max(room, 0)]
	}
	p.events = append(slices.Clone(events), p.events...)
}

// changesProducts reports whether a scan moved a product.
func changesProducts(a devices.Ack) bool {
	if a.Status != freezer.ScanOK {
		return false
	}
	switch a.Op {
	case freezer.OpOut, freezer.OpIn, freezer.OpMove, freezer.OpUndo:
		return true
	}
	return false
}

// device returns a device by id, nil when it does not exist.
func (p *Publisher) device(ctx context.Context, id string) *freezer.Device {
	if d, ok := p.cache[id]; ok {
		return d
	}
	list, err := p.store.FindDevices(ctx, freezer.DeviceFilter{ID: &id})
	if err != nil {
		p.logger.Warn("find device", "device", id, "err", err)
		return nil
	}
	if len(list) != 1 {
		return nil // not cached: it may be registered later
	}
	p.cache[id] = list[0]
	return list[0]
}

// refresh publishes the topics of the households in only (all when nil)
// and clears those of households that no longer exist.
func (p *Publisher) refresh(ctx context.Context, only map[int64]bool, force bool) error {
	households, err := p.store.FindHouseholds(ctx)
	if err != nil {
		return err
	}
	list, err := p.store.FindAllAlertSettings(ctx)
	if err != nil {
		return err
	}
	settings := make(map[int64]*freezer.AlertSettings, len(list))
	for _, s := range list {
		settings[s.HouseholdID] = s
	}
	today := freezer.Today(p.config.Now(), p.config.Location)
	exists := map[int64]bool{}
	for _, h := range households {
		exists[h.ID] = true
		if only != nil && !only[h.ID] {
			continue
		}
		if err := p.refreshHousehold(ctx, h, settingsOf(settings, h.ID), today, force); err != nil {
			p.logger.Error("publish household", "household", h.ID, "err", err)
		}
	}
	for h := range p.owned {
		if !exists[h] && (only == nil || only[h]) {
			p.apply(h, nil, false)
		}
	}
	if only == nil {
		p.forgetPrefixes(list)
	}
	return nil
}

// forgetPrefixes stops listening to the status of the discovery prefixes
// no household uses any more, so that what is listened to stays bounded by
// the prefixes in use; the caller holds p.work.
func (p *Publisher) forgetPrefixes(settings []*freezer.AlertSettings) {
	inUse := map[string]bool{freezer.DefaultDiscoveryPrefix: true}
	for _, s := range settings {
		if s.HomeAssistant.Discovery {
			inUse[s.HomeAssistant.Prefix] = true
		}
	}
	for prefix := range p.prefixes {
		if inUse[prefix] {
			continue
		}
		if err := p.bus.Unsubscribe(prefix + "/status"); err != nil {
			p.logger.Warn("stop listening to Home Assistant's status", "prefix", prefix, "err", err)
			continue
		}
		delete(p.prefixes, prefix)
	}
}

// refreshHousehold publishes a household's status, freezer states, scanner
// mirrors and discovery configs, and clears those that are gone.
func (p *Publisher) refreshHousehold(ctx context.Context, h *freezer.Household, s *freezer.AlertSettings, today freezer.Date, force bool) error {
	freezers, err := p.store.FindFreezers(ctx, freezer.FreezerFilter{HouseholdID: &h.ID})
	if err != nil {
		return err
	}
	groups, err := p.store.CountInside(ctx, h.ID)
	if err != nil {
		return err
	}
	kind := freezer.DeviceScanner
	scanners, err := p.store.FindDevices(ctx, freezer.DeviceFilter{HouseholdID: &h.ID, Kind: &kind})
	if err != nil {
		return err
	}
	t := p.config.Topics
	msgs := map[string][]byte{t.HouseholdStatus(h.ID): []byte("online")}
	for f, st := range freezerStates(freezers, groups, today, h.DueSoonDays) {
		msgs[t.FreezerState(h.ID, f)] = st.Encode()
	}
	st, err := p.householdState(ctx, h.ID, groups, today)
	if err != nil {
		return err
	}
	msgs[t.HouseholdState(h.ID)] = st.Encode()
	for _, d := range scanners {
		status, ok := p.known[d.ID]
		if !ok {
			status = map[bool]string{true: "online", false: "offline"}[d.Online]
		}
		msgs[t.DeviceState(h.ID, d.ID)] = []byte(status)
	}
	if s.HomeAssistant.Discovery {
		if err := p.subscribePrefix(s.HomeAssistant.Prefix); err != nil {
			p.logger.Warn("subscribe to Home Assistant's status", "prefix", s.HomeAssistant.Prefix, "err", err)
		}
		d := &discovery{topics: t, version: p.config.Version, household: h, prefix: s.HomeAssistant.Prefix, hubStatus: p.config.HubStatus}
		for topic, b := range d.configs(freezers, scanners) {
			msgs[topic] = b
		}
	}
	p.apply(h.ID, msgs, force)
	return nil
}

// freezerStates counts each freezer's products inside, overdue and due soon.
func freezerStates(freezers []*freezer.Freezer, groups []freezer.InsideGroup, today freezer.Date, dueSoonDays int) map[int64]devices.FreezerState {
	states := make(map[int64]devices.FreezerState, len(freezers))
	for _, f := range freezers {
		states[f.ID] = devices.FreezerState{}
	}
	for _, g := range groups {
		st, ok := states[g.FreezerID]
		if !ok {
			continue
		}
		st.Inside += g.Count
		switch g.Stage(today, dueSoonDays) {
		case freezer.StageOverdue:
			st.Overdue += g.Count
		case freezer.StageDueSoon:
			st.DueSoon += g.Count
		}
		states[g.FreezerID] = st
	}
	return states
}

// apply publishes a household's retained messages that changed (all with
// force) and clears its topics that are no longer among them: states first,
// discovery configs last, so that an entity finds its state.
func (p *Publisher) apply(householdID int64, msgs map[string][]byte, force bool) {
	topics := make([]string, 0, len(msgs))
	for t := range msgs {
		topics = append(topics, t)
	}
	slices.SortFunc(topics, func(a, b string) int {
		ca, cb := strings.HasSuffix(a, "/config"), strings.HasSuffix(b, "/config")
		if ca != cb {
			if ca {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, t := range topics {
		p.publishRetained(householdID, t, string(msgs[t]), force)
	}
	for t := range p.owned[householdID] {
		if _, ok := msgs[t]; ok {
			continue
		}
		if err := p.bus.Publish(t, nil, true); err != nil {
			p.logger.Warn("clear retained message", "topic", t, "err", err)
			continue // tried again next time
		}
		delete(p.owned[householdID], t)
		delete(p.retained, t)
	}
	if len(p.owned[householdID]) == 0 {
		delete(p.owned, householdID)
	}
}

// publishRetained publishes payload on topic unless it is what was last
// published there, and counts topic as one of the household's.
func (p *Publisher) publishRetained(householdID int64, topic, payload string, force bool) {
	if p.owned[householdID] == nil {
		p.owned[householdID] = map[string]bool{}
	}
	p.owned[householdID][topic] = true
	if last, ok := p.retained[topic]; ok && last == payload && !force {
		return
	}
	if err := p.bus.Publish(topic, []byte(payload), true); err != nil {
		p.logger.Warn("publish retained message", "topic", topic, "err", err)
		return
	}
	p.retained[topic] = payload
}
