package alerts

import (
	"context"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// deliver sends the pending deliveries that are due on the channels this
// process can use: MQTT needs a bus.
func (a *Job) deliver(ctx context.Context, run *freezer.AlertRun, settings freezer.AlertSettingsIndex) error {
	channels := []string{freezer.ChannelWebhook, freezer.ChannelEmail}
	if a.bus != nil {
		channels = append(channels, freezer.ChannelMQTT)
	}
	now := a.config.Now()
	webhookDown := map[int64]error{} // a household's webhook that failed in this pass is not tried again in it
	for {
		batch, err := a.store.ClaimDeliveries(ctx, channels, now, claimBatch)
		if err != nil {
			return err
		}
		stopRenewing := a.keepClaimed(ctx, batch)
		digests := map[int64][]*freezer.AlertDelivery{}
		for _, d := range batch {
			s := settings.Of(d.Alert.HouseholdID)
			switch {
			case !d.Product.Inside():
				a.finish(ctx, run, d, freezer.DeliveryOutcome{Status: freezer.DeliverySkipped, Error: "taken out"})
				continue
			case !s.Enabled(d.Channel):
				a.finish(ctx, run, d, freezer.DeliveryOutcome{Status: freezer.DeliverySkipped, Error: "channel turned off"})
				continue
			}
			var err error
			switch d.Channel {
			case freezer.ChannelMQTT:
				err = a.bus.Publish(a.config.Topics.Alerts(d.Alert.HouseholdID), a.message(d, run.Today).Encode(), false)
			case freezer.ChannelWebhook:
				if err = webhookDown[d.Alert.HouseholdID]; err == nil {
					if err = a.postWebhook(ctx, s.Webhook, a.message(d, run.Today)); err != nil {
						webhookDown[d.Alert.HouseholdID] = err
					}
				}
			case freezer.ChannelEmail:
				digests[d.Alert.HouseholdID] = append(digests[d.Alert.HouseholdID], d)
				continue
			}
			a.finish(ctx, run, d, a.outcome(d, err))
		}
		for householdID, list := range digests {
			err := a.sendDigest(ctx, settings.Of(householdID).Email, list, run.Today)
			for _, d := range list {
				a.finish(ctx, run, d, a.outcome(d, err))
			}
		}
		stopRenewing()
		if len(batch) < claimBatch {
			return nil
		}
	}
}

// claimRenewer renews the claims of deliveries being sent, so that only
// those of a process that died are taken over (after the store's lease of
// a minute).
type claimRenewer interface {
	RenewClaims(ctx context.Context, ids []int64, now time.Time) error
}

// keepClaimed renews the batch's claims until the returned function is
// called, when the store can.
func (a *Job) keepClaimed(ctx context.Context, batch []*freezer.AlertDelivery) (stop func()) {
	r, ok := a.store.(claimRenewer)
	if !ok || len(batch) == 0 {
		return func() {}
	}
	ids := make([]int64, len(batch))
	for i, d := range batch {
		ids[i] = d.ID
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(a.config.ClaimRenewal)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if err := r.RenewClaims(ctx, ids, a.config.Now()); err != nil && ctx.Err() == nil {
					a.logger.Warn("renew alert delivery claims", "deliveries", len(ids), "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// outcome turns an attempt's error into what to record: sent, a retry
// after backoff, or failed once the attempts are used up.
func (a *Job) outcome(d *freezer.AlertDelivery, err error) freezer.DeliveryOutcome {
	if err == nil {
		return freezer.DeliveryOutcome{Status: freezer.DeliverySent}
	}
	attempts := d.Attempts + 1
	if attempts >= a.config.MaxAttempts {
		return freezer.DeliveryOutcome{Status: freezer.DeliveryFailed, Error: err.Error()}
	}
	return freezer.DeliveryOutcome{Status: freezer.DeliveryPending, Error: err.Error(),
		NextAttempt: a.config.Now().Add(a.backoff(attempts))}
}

// backoff is the wait after the n-th failed attempt.
func (a *Job) backoff(n int) time.Duration {
	wait := a.config.RetryBase
	for i := 1; i < n && wait < a.config.RetryMax; i++ {
		wait *= 2
	}
	return min(wait, a.config.RetryMax)
}

// finish records a delivery's outcome and counts it.
func (a *Job) finish(ctx context.Context, run *freezer.AlertRun, d *freezer.AlertDelivery, o freezer.DeliveryOutcome) {
	switch o.Status {
	case freezer.DeliverySent:
		run.Sent[d.Channel]++
	case freezer.DeliverySkipped:
		run.Skipped[d.Channel]++
	default:
		run.Failed[d.Channel]++
		a.logger.Warn("alert not delivered", "channel", d.Channel, "alert", d.Alert.ID, "attempt", d.Attempts+1,
			"status", o.Status, "retry_at", o.NextAttempt, "err", o.Error)
	}
	if o.Status == freezer.DeliveryPending && (a.retryAt.IsZero() || o.NextAttempt.Before(a.retryAt)) {
		a.retryAt = o.NextAttempt
	}
	// Recorded even while shutting down: a delivery sent but left claimed would be sent again.
	if err := a.store.FinishDelivery(context.WithoutCancel(ctx), d.ID, o); err != nil {
		a.logger.Error("record alert delivery", "delivery", d.ID, "err", err)
	}
}

// message is a delivery's alert as published and posted.
func (a *Job) message(d *freezer.AlertDelivery, today freezer.Date) devices.AlertMessage {
	p := &d.Product
	return devices.AlertMessage{
		EventType: d.Alert.Stage, AlertID: d.Alert.ID, HouseholdID: d.Alert.HouseholdID, Household: d.HouseholdName,
		ProductID: p.ID, Product: p.Name, FreezerID: p.FreezerID, Freezer: d.FreezerName, Box: p.Box, Slot: p.Slot,
		Location: freezer.PlaceOf(p).Location(), Label: freezer.ProductCode(p.ID), DateIn: p.DateIn, UseBy: d.Alert.UseBy,
		DaysLeft: today.DaysUntil(d.Alert.UseBy), Quantity: p.Quantity, At: d.Alert.CreatedAt.UTC(),
	}
}
