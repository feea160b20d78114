// Package hub is the scan pipeline: it turns the scans that devices publish
// into product operations, commits them in batches (group commit) and
// answers each with an ack once its change is committed; it also tells
// scanners their new mode. It talks to MQTT only through devices.Bus and
// to the store only through freezer.ScanStore. It must not import a broker
// library (mochi, paho), the label renderer (labels), the store (db), api,
// alerts or homeassistant.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// Defaults of the hub's settings.
const (
	DefaultQueueSize    = 4096
	DefaultMaxBatch     = 256
	DefaultUndoWindow   = 10 * time.Minute
	DefaultRawDupWindow = 2 * time.Second
)

// Config holds the hub's settings; zero values mean the defaults.
type Config struct {
	Topics       devices.Topics
	QueueSize    int
	MaxBatch     int           // scans committed together at most
	UndoWindow   time.Duration // how long after an operation UNDO may revert it
	RawDupWindow time.Duration // a raw line repeated within this is a duplicate
	Now          func() time.Time
	// OnScan, when set, is told about each scan answered after its batch
	// committed (the Home Assistant publisher's ScanAnswered); it must not block.
	OnScan func(deviceID string, ack devices.Ack)
}

// Hub processes scans from a Bus against a ScanStore.
type Hub struct {
	config Config
	store  freezer.ScanStore
	bus    devices.Bus
	logger *slog.Logger

	queue   chan *job
	seq     atomic.Uint64 // numbers received scans, to name those without an id
	paused  bool          // the writer's: scans are not taken while the store is unreachable
	reused  atomic.Uint64 // scans answered "id already used for another code"
	wg      sync.WaitGroup
	stopped context.Context // done once Close is called
	stop    context.CancelFunc
}

// New returns a hub; call Start to subscribe and process.
func New(cfg Config, store freezer.ScanStore, bus devices.Bus, logger *slog.Logger) *Hub {
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.UndoWindow <= 0 {
		cfg.UndoWindow = DefaultUndoWindow
	}
	if cfg.RawDupWindow <= 0 {
		cfg.RawDupWindow = DefaultRawDupWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	stopped, stop := context.WithCancel(context.Background())
	return &Hub{config: cfg, store: store, bus: bus, logger: logger, queue: make(chan *job, cfg.QueueSize), stopped: stopped, stop: stop}
}

// Start subscribes to the scan topics and starts the writer.
func (h *Hub) Start() error {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.writeLoop(h.stopped)
	}()
	if err := h.bus.Subscribe(h.config.Topics.ScanFilter(), h.receive); err != nil {
		h.Close()
		return fmt.Errorf("hub: subscribe to scans: %w", err)
	}
	return nil
}

// Close stops processing; scans not yet committed are neither applied nor acked.
func (h *Hub) Close() {
	h.stop()
	h.wg.Wait()
}

// receive queues a scan; it runs on the broker's goroutine, so it only decodes.
func (h *Hub) receive(m devices.Message) {
	dev, ok := h.config.Topics.DeviceOfScan(m.Topic)
	if !ok {
		if m.Done != nil {
			m.Done()
		}
		return
	}
	j := h.newJob(dev, m.Payload, m.Done)
	select {
	case h.queue <- j:
	case <-h.stopped.Done(): // not acknowledged: the broker delivers it again
	}
}

// newJob decodes a scan payload of device dev; done is called once it is answered.
func (h *Hub) newJob(dev string, payload []byte, done func()) *job {
	j := &job{deviceID: dev, done: done, received: h.config.Now(), seq: h.seq.Add(1)}
	j.msg, j.decodeErr = devices.DecodeScan(payload)
	j.code = freezer.ParseCode(j.msg.Code)
	return j
}

// writeLoop commits what is queued in batches: it takes the scans already
// waiting, never waits for more, so a lone scan is committed at once. Under
// load (the last batch held more than one scan) it first lets the broker's
// goroutines run once, which queue the scans that already arrived: fewer,
// larger commits. It publishes the acks of a batch itself, right after the
// commit: handed to another goroutine, they waited for the scheduler longer
// than publishing takes.
func (h *Hub) writeLoop(ctx context.Context) {
	batch := make([]*job, 0, h.config.MaxBatch)
	for {
		busy := len(batch) > 1
		select {
		case <-ctx.Done():
			return
		case j := <-h.queue:
			batch = append(batch[:0], j)
		}
		if busy {
			runtime.Gosched()
		}
	fill:
		for len(batch) < h.config.MaxBatch {
			select {
			case j := <-h.queue:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		if !h.commit(ctx, batch) {
			return
		}
		h.answer(batch)
	}
}

// maxDuplicateRounds bounds how often a scan that another replica recorded
// first is looked at again.
const maxDuplicateRounds = 3

// commit applies a batch, retrying while the database is unreachable; it
// returns false when the hub stops first. A scan that another replica
// recorded at the same time is looked at again in a new transaction, where
// it shows as a resend and gets that replica's answer.
func (h *Hub) commit(ctx context.Context, batch []*job) bool {
	pending := batch
	for round := 1; len(pending) > 0; round++ {
		errs, ok := h.run(ctx, pending)
		if !ok {
			return false
		}
		var again []*job
		for i, err := range errs {
			switch {
			case err == nil:
			case errors.Is(err, freezer.ErrDuplicateScan) && round < maxDuplicateRounds:
				again = append(again, pending[i])
			default:
				h.failed(pending[i], err)
			}
		}
		pending = again
	}
	return true
}

// run runs jobs in one transaction until it commits; ok is false when the
// hub stops first.
func (h *Hub) run(ctx context.Context, jobs []*job) (errs []error, ok bool) {
	backoff := 50 * time.Millisecond
	for {
		errs, err := h.store.RunScans(ctx, scanKeys(jobs), func(ctx context.Context, tx freezer.ScanTx, i int) error {
			return h.apply(ctx, tx, jobs[i])
		})
		if err == nil {
			h.resume()
			return errs, true
		}
		h.pause(err)
		h.logger.Error("scan batch not committed; retrying", "scans", len(jobs), "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// pause stops taking scans while the store cannot commit them: on a shared
// subscription the broker hands them to the other replicas, and the
// devices resend those this hub holds, which another replica answers (this
// hub's own commit of them, later, finds them recorded and answers the
// same). Alone, the devices resend until the store is back.
func (h *Hub) pause(cause error) {
	if h.paused {
		return
	}
	h.paused = true
	h.logger.Warn("the store cannot commit scans: this hub takes none until it can", "err", cause)
	if err := h.bus.Unsubscribe(h.config.Topics.ScanFilter()); err != nil {
		h.logger.Error("stop taking scans", "err", err)
	}
}

// resume takes scans again once a batch committed.
func (h *Hub) resume() {
	if !h.paused {
		return
	}
	if err := h.bus.Subscribe(h.config.Topics.ScanFilter(), h.receive); err != nil {
		h.logger.Error("take scans again", "err", err) // the next commit tries again
		return
	}
	h.paused = false
	h.logger.Info("the store commits scans again: this hub takes them again")
}

// scanKeys names what each job reads first: its device, its message id
// (to find a resend) and the product its code names.
func scanKeys(jobs []*job) []freezer.ScanKey {
	keys := make([]freezer.ScanKey, len(jobs))
	for i, j := range jobs {
		keys[i].DeviceID = j.deviceID
		if j.decodeErr == nil {
			keys[i].MsgID = j.msg.ID
		}
		if j.code.Kind == freezer.CodeProduct {
			keys[i].ProductID = j.code.ProductID
		}
	}
	return keys
}

// failed turns a job that could not be applied into an error ack.
func (h *Hub) failed(j *job, err error) {
	h.logger.Warn("scan not applied", "device", j.deviceID, "id", j.msg.ID, "err", err)
	j.ack = devices.Ack{ID: j.msg.ID, Status: freezer.ScanError, Msg: "not applied: " + freezer.ErrorMessage(err)}
	j.setMode = ""
}

// ReusedIDs returns how many scans this hub refused because their id had
// already been used for another code: each one is a device whose ids repeat.
func (h *Hub) ReusedIDs() uint64 { return h.reused.Load() }

// answer publishes each committed job's ack, then its new mode, then
// acknowledges the message to the broker.
func (h *Hub) answer(batch []*job) {
	for _, j := range batch {
		if j.reusedID != "" {
			h.logger.Error("scan refused: its id was already used for another code; the device reuses ids and loses scans",
				"device", j.deviceID, "id", j.msg.ID, "code", j.msg.Code, "first_code", j.reusedID, "reused_ids", h.reused.Add(1))
		}
		if j.ack.Status != "" {
			if err := h.bus.Publish(h.config.Topics.Ack(j.deviceID), j.ack.Encode(), false); err != nil {
				h.logger.Error("publish ack", "device", j.deviceID, "err", err)
			}
		}
		if j.setMode != "" {
			h.ModeChanged(j.deviceID, j.setMode)
		}
		if j.done != nil {
			j.done()
		}
		if h.config.OnScan != nil && j.ack.Status != "" {
			h.config.OnScan(j.deviceID, j.ack)
		}
	}
}

// ModeChanged tells a scanner its new mode on its set/mode topic: after a
// command card, and when its mode is set through the services.
func (h *Hub) ModeChanged(deviceID, mode string) {
	if err := h.bus.Publish(h.config.Topics.SetMode(deviceID), []byte(mode), false); err != nil {
		h.logger.Error("publish mode", "device", deviceID, "err", err)
	}
}
