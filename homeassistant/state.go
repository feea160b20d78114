package homeassistant

import (
	"context"
	"slices"
	"strings"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

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
	settings := freezer.IndexAlertSettings(list)
	today := freezer.Today(p.config.Now(), p.config.Location)
	exists := map[int64]bool{}
	for _, h := range households {
		exists[h.ID] = true
		if only != nil && !only[h.ID] {
			continue
		}
		if err := p.refreshHousehold(ctx, h, settings.Of(h.ID), today, force); err != nil {
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
		if err := p.bus.Unsubscribe(devices.DiscoveryTopics{Prefix: prefix}.Status()); err != nil {
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
