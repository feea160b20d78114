package hub

import (
	"context"
	"errors"

	"github.com/freezer-manager/freezer/devices"
)

// ErrStopped is returned by Scan when the hub stops before the scan is answered.
var ErrStopped = errors.New("hub: stopped")

// Scan runs one scan payload of device dev through the pipeline, exactly as
// if the device had published it (same checks, same batch, same rules, same
// idempotency of its message id), and returns its ack once the batch
// committed. The ack is also published on the device's ack topic. A
// scanner that is not an MQTT client (the phone's scan page) scans this way.
func (h *Hub) Scan(ctx context.Context, dev string, payload []byte) (devices.Ack, error) {
	answered := make(chan struct{})
	j := h.newJob(dev, payload, func() { close(answered) })
	select {
	case h.queue <- j:
	case <-ctx.Done():
		return devices.Ack{}, ctx.Err()
	case <-h.stopped.Done():
		return devices.Ack{}, ErrStopped
	}
	select {
	case <-answered:
		return j.ack, nil
	case <-ctx.Done():
		return devices.Ack{}, ctx.Err() // applied or not: a resend with the same id tells
	case <-h.stopped.Done():
		return devices.Ack{}, ErrStopped
	}
}
