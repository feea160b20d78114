package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// Defaults of the bridge's timing.
const (
	DefaultAckTimeout    = 3 * time.Second  // first wait for an ack before sending again
	DefaultMaxAckTimeout = 30 * time.Second // the wait doubles up to this
	DefaultRetryMin      = time.Second      // first wait before connecting again
	DefaultRetryMax      = 30 * time.Second
)

// MaxCode bounds a code: longer lines are refused at once, as the hub
// knows no such code.
const MaxCode = 256

// BridgeConfig holds what the bridge needs to talk to the broker.
type BridgeConfig struct {
	Broker   string // tcp://host:1883, ssl://…, ws://…
	Device   string // the device id: MQTT client id and username
	Password string
	Topics   devices.Topics

	AckTimeout    time.Duration
	MaxAckTimeout time.Duration
	RetryMin      time.Duration
	RetryMax      time.Duration
}

// Bridge reads codes, sends each to the hub as a scan until the hub acks
// it, and shows the answers. Codes wait in a Queue, so that none is lost
// while the broker or the hub is unreachable; they are sent one at a time,
// in reading order, since a scan may depend on the one before (a mode card,
// a product then the box it moves to).
type Bridge struct {
	config BridgeConfig
	queue  *Queue
	out    *display
	logger *slog.Logger

	wake  chan struct{} // a code was queued
	acked chan string   // the id of each item the ack handler removed

	mu            sync.Mutex
	client        paho.Client   // the open connection, nil while offline
	changed       chan struct{} // closed when client changes
	everConnected bool          // the credentials worked once: a refusal now is a revocation or a glitch
	offline       bool          // a connection failed or was lost: not merely connecting
	modeAnnounced bool          // the last ack already showed the coming set/mode
}

// NewBridge returns a bridge over q that shows answers on out.
func NewBridge(cfg BridgeConfig, q *Queue, out io.Writer, logger *slog.Logger) *Bridge {
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = devices.DefaultRoot
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	if cfg.MaxAckTimeout < cfg.AckTimeout {
		cfg.MaxAckTimeout = max(DefaultMaxAckTimeout, cfg.AckTimeout)
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultRetryMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(DefaultRetryMax, cfg.RetryMin)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Bridge{config: cfg, queue: q, out: &display{w: out}, logger: logger,
		wake: make(chan struct{}, 1), acked: make(chan string, 8), changed: make(chan struct{})}
}

// Run bridges until ctx ends, or until codes ends and every code read is
// acknowledged. It returns nil then, and an error when codes cannot be
// read, the state cannot be written, or the broker refuses the device's
// credentials at the first connection. Codes not yet acknowledged stay in
// the queue for the next run.
func (b *Bridge) Run(ctx context.Context, codes io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inputDone := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(inputDone)
		if err := b.readLoop(codes); err != nil {
			readErr <- err
		}
	}()
	connErr := make(chan error, 1)
	connDone := make(chan struct{})
	go func() {
		defer close(connDone)
		if err := b.connectLoop(ctx); err != nil {
			connErr <- err
		}
	}()
	sendErr := make(chan error, 1)
	go func() { sendErr <- b.sendLoop(ctx, inputDone) }()

	var err error
	select {
	case err = <-readErr:
	case err = <-connErr:
	case err = <-sendErr:
	case <-ctx.Done():
	}
	cancel()
	<-connDone
	if n := b.queue.Len(); n > 0 {
		b.logger.Info("codes not yet acknowledged stay queued for the next start", "codes", n, "state", b.queue.Path())
	}
	return err
}

// readLoop queues each code of r; it returns nil at the end of r.
func (b *Bridge) readLoop(r io.Reader) error {
	sc := newLineScanner(r)
	for sc.Scan() {
		code := strings.TrimSpace(sc.Text())
		if code == "" {
			continue
		}
		if len(code) > MaxCode {
			b.out.show(true, fmt.Sprintf("ERROR: code of %d characters not sent: at most %d", len(code), MaxCode))
			continue
		}
		item, err := b.queue.Push(code)
		if errors.Is(err, ErrQueueFull) {
			b.out.show(true, fmt.Sprintf("ERROR: %s not sent: %d codes already wait for the hub", code, b.queue.Len()))
			continue
		} else if err != nil {
			return err
		}
		if b.knownOffline() {
			b.out.show(false, fmt.Sprintf("QUEUED %s (offline, %d waiting)", code, b.queue.Len()))
		}
		b.logger.Debug("code queued", "id", item.ID, "code", code)
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read codes: %w", err)
	}
	return nil
}

// sendLoop publishes the oldest queued code until its ack arrives, then the
// next. It returns nil once the input has ended and the queue is empty.
func (b *Bridge) sendLoop(ctx context.Context, inputDone <-chan struct{}) error {
	timeout := b.config.AckTimeout
	for {
		item, ok := b.queue.Head()
		if !ok {
			select {
			case <-b.wake:
			case <-inputDone:
				if b.queue.Len() == 0 {
					return nil
				}
			case <-ctx.Done():
				return nil
			}
			continue
		}
		client, changed := b.connection()
		if client == nil {
			select {
			case <-changed:
			case <-ctx.Done():
				return nil
			}
			continue
		}
		payload, _ := json.Marshal(devices.ScanMessage{ID: item.ID, Code: item.Code})
		client.Publish(b.config.Topics.Scan(b.config.Device), 1, false, payload)
		b.logger.Debug("scan sent", "id", item.ID, "code", item.Code)
		if !b.awaitAck(ctx, item.ID, changed, &timeout) {
			return nil
		}
	}
}

// awaitAck waits for the ack of id, for the connection to change or for
// the timeout, which it doubles when it expires; it returns false when ctx ends.
func (b *Bridge) awaitAck(ctx context.Context, id string, changed <-chan struct{}, timeout *time.Duration) bool {
	timer := time.NewTimer(*timeout)
	defer timer.Stop()
	for {
		select {
		case got := <-b.acked:
			if got == id {
				*timeout = b.config.AckTimeout
				return true
			}
		case <-timer.C:
			b.logger.Warn("no answer from the hub; sending the scan again", "id", id, "waited", *timeout)
			*timeout = min(2**timeout, b.config.MaxAckTimeout)
			return true
		case <-changed:
			*timeout = b.config.AckTimeout // sent again at once on the new connection
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// onAck handles an ack: the answer to the code in flight is shown and the
// code leaves the queue; answers to earlier sends of acked codes are ignored.
func (b *Bridge) onAck(payload []byte) {
	a, err := devices.DecodeAck(payload)
	if err != nil {
		b.logger.Warn("unreadable ack ignored", "payload", string(payload), "err", err)
		return
	}
	head, ok := b.queue.Head()
	if !ok || head.ID != a.ID {
		b.logger.Debug("ack of another scan ignored", "id", a.ID)
		return
	}
	if removed, err := b.queue.RemoveHead(a.ID); err != nil {
		b.logger.Error("cannot write the state; the scan will be sent again", "id", a.ID, "err", err)
		return
	} else if !removed {
		return
	}
	b.mu.Lock()
	b.modeAnnounced = a.Status == freezer.ScanOK && a.Op == freezer.OpMode
	b.mu.Unlock()
	b.out.show(alarming(a.Status), formatAck(a, head.Code))
	select {
	case b.acked <- a.ID:
	default:
	}
}

// onMode shows the device's new mode, unless the ack of a command card just did.
func (b *Bridge) onMode(payload []byte) {
	b.mu.Lock()
	announced := b.modeAnnounced
	b.modeAnnounced = false
	b.mu.Unlock()
	if !announced {
		b.out.show(false, "MODE "+strings.TrimSpace(string(payload)))
	}
}

// alarming reports whether an answer needs the person's attention.
func alarming(status string) bool {
	switch status {
	case freezer.ScanError, freezer.ScanUnknown, freezer.ScanDenied:
		return true
	}
	return false
}

// formatAck makes the line shown for an answer: "OK out Soupe de Noël —
// F2 B3 S7", "ALREADY out … : already taken out on …", and for errors
// "UNKNOWN: <code>: no such product" and the like.
func formatAck(a devices.Ack, code string) string {
	parts := []string{strings.ToUpper(a.Status)}
	if alarming(a.Status) || a.Status == "" {
		parts[0] = strings.ToUpper(cmp.Or(a.Status, freezer.ScanError)) + ":"
	}
	if a.Op != "" && a.Op != freezer.OpMode {
		parts = append(parts, a.Op)
	}
	if a.Product != "" {
		parts = append(parts, a.Product)
	} else if alarming(a.Status) {
		parts = append(parts, code)
	}
	if a.Location != "" {
		parts = append(parts, "— "+a.Location)
	}
	line := strings.Join(parts, " ")
	switch {
	case a.Msg == "" || (a.Status == freezer.ScanOK && a.Product != ""):
	case len(parts) == 1:
		line += " " + a.Msg
	default:
		line += ": " + a.Msg
	}
	return line
}

// display writes answers for the person at the scanner, one line each,
// with the terminal bell before the alarming ones.
type display struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *display) show(bell bool, line string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if bell {
		line = "\a" + line
	}
	fmt.Fprintln(d.w, line)
}

// online reports whether the bridge is connected.
func (b *Bridge) online() bool {
	c, _ := b.connection()
	return c != nil
}

// knownOffline reports whether the broker is known to be unreachable, as
// opposed to connecting for the first time.
func (b *Bridge) knownOffline() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.offline
}

// connection returns the open connection (nil while offline) and a channel
// closed when it changes.
func (b *Bridge) connection() (paho.Client, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.client, b.changed
}

func (b *Bridge) setConnection(c paho.Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.client = c
	b.offline = c == nil
	if c != nil {
		b.everConnected = true
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// connectLoop keeps a connection to the broker until ctx ends, then says
// offline and disconnects. It returns an error only when the broker refuses
// the credentials before any connection succeeded: a typo, not an outage.
func (b *Bridge) connectLoop(ctx context.Context) error {
	wait := b.config.RetryMin
	for {
		client, lost, err := b.dial(ctx)
		if ctx.Err() != nil {
			if client != nil {
				b.hangUp(client)
			}
			return nil
		}
		if err != nil {
			b.mu.Lock()
			known := b.everConnected
			b.offline = true
			b.mu.Unlock()
			if refused(err) && !known {
				return fmt.Errorf("the broker refuses device %s: %w (check --device, --password and the device's registration)", b.config.Device, err)
			}
			b.logger.Warn("cannot connect to the broker; codes wait in the queue", "broker", b.config.Broker, "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return nil
			}
			wait = min(2*wait, b.config.RetryMax)
			continue
		}
		wait = b.config.RetryMin
		b.setConnection(client)
		b.logger.Info("connected to the broker", "broker", b.config.Broker, "device", b.config.Device, "queued", b.queue.Len())
		select {
		case err := <-lost:
			b.setConnection(nil)
			b.logger.Warn("connection to the broker lost; codes wait in the queue", "err", err)
			if !sleep(ctx, wait) {
				return nil
			}
		case <-ctx.Done():
			b.setConnection(nil)
			b.hangUp(client)
			return nil
		}
	}
}

// refused reports whether the broker turned the credentials down.
func refused(err error) bool {
	return errors.Is(err, packets.ErrorRefusedNotAuthorised) || errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// brokerTimeout bounds each step of connecting.
const brokerTimeout = 10 * time.Second

// dial connects, subscribes to the device's acks and mode, and says
// online; lost receives the error when the connection drops. The Will says
// offline when the bridge vanishes without hanging up.
func (b *Bridge) dial(ctx context.Context) (paho.Client, <-chan error, error) {
	t, dev := b.config.Topics, b.config.Device
	lost := make(chan error, 1)
	opts := paho.NewClientOptions().AddBroker(b.config.Broker).
		SetClientID(dev).SetUsername(dev).SetPassword(b.config.Password).
		SetProtocolVersion(4).SetCleanSession(true).
		SetAutoReconnect(false).SetConnectRetry(false).
		SetKeepAlive(30*time.Second).SetPingTimeout(10*time.Second).
		SetConnectTimeout(brokerTimeout).SetWriteTimeout(brokerTimeout).
		SetWill(t.Status(dev), "offline", 1, true).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
	client := paho.NewClient(opts)
	if err := wait(ctx, client.Connect()); err != nil {
		return nil, nil, err
	}
	filters := map[string]byte{t.Ack(dev): 1, t.SetMode(dev): 1}
	sub := client.SubscribeMultiple(filters, func(_ paho.Client, m paho.Message) {
		if m.Topic() == t.Ack(dev) {
			b.onAck(m.Payload())
		} else {
			b.onMode(m.Payload())
		}
	})
	err := wait(ctx, sub)
	if err == nil {
		for filter, qos := range sub.(*paho.SubscribeToken).Result() {
			if qos > 2 {
				err = fmt.Errorf("the broker refuses the subscription to %s (check --device and --root)", filter)
			}
		}
	}
	if err == nil {
		err = wait(ctx, client.Publish(t.Status(dev), 1, true, "online"))
	}
	if err != nil {
		client.Disconnect(0)
		return nil, nil, err
	}
	return client, lost, nil
}

// hangUp says offline and disconnects cleanly (a clean disconnect sends no Will).
func (b *Bridge) hangUp(c paho.Client) {
	tok := c.Publish(b.config.Topics.Status(b.config.Device), 1, true, "offline")
	tok.WaitTimeout(2 * time.Second)
	c.Disconnect(250)
}

// wait waits for a paho token, at most brokerTimeout.
func wait(ctx context.Context, tok paho.Token) error {
	timer := time.NewTimer(brokerTimeout)
	defer timer.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-timer.C:
		return errors.New("no answer from the broker")
	case <-ctx.Done():
		return ctx.Err()
	}
}
