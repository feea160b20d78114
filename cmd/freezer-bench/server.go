package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/homeassistant"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/labels"
)

// The child process: the system under measurement runs in its own process
// so that its resident memory is its own. It prints one JSON line with its
// addresses, then serves until stdin closes or it is signalled.

// childEnv selects the child's role: "system" (store, broker, hub and its
// publisher, HTTP API, as freezerd), "echo" (the broker with a responder
// that acks every scan without touching a database: the broker's own
// ceiling) or "replica" (store, hub and publisher on an external broker,
// as a freezerd replica, with no HTTP API).
const childEnv = "FREEZER_BENCH_CHILD"

// The child's other settings, from the environment.
const (
	childDSNEnv      = "FREEZER_BENCH_DSN"
	childMQTTURLEnv  = "FREEZER_BENCH_MQTT_URL"  // replica: the external broker
	childClientIDEnv = "FREEZER_BENCH_CLIENT_ID" // replica: its MQTT client id
)

// noPublisherEnv, when set, leaves the publisher out of the system child,
// to see what it costs.
const noPublisherEnv = "FREEZER_BENCH_NO_PUBLISHER"

// shareGroup is the replicas' shared subscription, as freezerd's default.
const shareGroup = "freezer-hub"

// childAddrs is what the child reports once it listens.
type childAddrs struct {
	MQTT string `json:"mqtt"`
	HTTP string `json:"http"`
}

func runChild(role string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	name := role // of its profiles
	if os.Getenv(noPublisherEnv) != "" {
		name += "-nopublisher"
	}
	if path := os.Getenv(cpuProfileEnv); path != "" {
		stopProfile, err := profileClosedLoop(path + "." + name)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	// Errors only: clients dropping at the end of a load are expected.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	topics := devices.Topics{Root: devices.DefaultRoot}
	var addrs childAddrs
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	switch role {
	case "echo":
		b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0", MaxPendingPerIP: benchClients}, allowAll{}, logger)
		if err != nil {
			return err
		}
		if err := b.Start(); err != nil {
			return err
		}
		closers = append(closers, func() { b.Close() })
		err = b.Subscribe(topics.ScanFilter(), func(m devices.Message) {
			dev, _ := topics.DeviceOfScan(m.Topic)
			msg, _ := devices.DecodeScan(m.Payload)
			// Published from another goroutine: inline handlers run on the publisher's.
			go b.Publish(topics.Ack(dev), devices.Ack{ID: msg.ID, Status: "ok"}.Encode(), false)
		})
		if err != nil {
			return err
		}
		addrs.MQTT = b.TCPAddr()
	case "system", "replica":
		countMySQLTraffic()
		store, err := db.Open(ctx, os.Getenv(childDSNEnv))
		if err != nil {
			return err
		}
		closers = append(closers, func() { store.Close() })
		if err := store.Migrate(ctx); err != nil {
			return err
		}
		if role == "replica" {
			return serveReplica(ctx, store, topics, logger)
		}
		b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0", Topics: topics, MaxPendingPerIP: benchClients}, store, logger)
		if err != nil {
			return err
		}
		if err := b.Start(); err != nil {
			return err
		}
		closers = append(closers, func() { b.Close() })
		cfg := hub.Config{Topics: topics}
		if os.Getenv(noPublisherEnv) == "" {
			publisher := homeassistant.New(homeassistant.Config{Topics: topics}, store, b, logger)
			if err := publisher.Start(); err != nil {
				return err
			}
			closers = append(closers, publisher.Close)
			cfg.OnScan = publisher.ScanAnswered
		}
		h := hub.New(cfg, store, b, logger)
		if err := h.Start(); err != nil {
			return err
		}
		closers = append(closers, h.Close)
		services := api.NewServices(store)
		services.Printing = labels.NewSpooler(store, store, labels.SpoolerConfig{})
		services.Disconnector = b
		services.Scanner = h
		srv := api.NewServer(api.Config{LegacyRateLimit: &api.RateLimit{}}, services, logger)
		if err := srv.Listen("127.0.0.1:0"); err != nil {
			return err
		}
		go srv.Serve()
		closers = append(closers, func() { srv.Shutdown(context.Background()) })
		addrs.MQTT, addrs.HTTP = b.TCPAddr(), srv.Addr()
	default:
		return fmt.Errorf("unknown child role %q", role)
	}
	if err := serveParent(ctx, addrs); err != nil {
		return err
	}
	if path := os.Getenv("FREEZER_BENCH_HEAP_PROFILE"); path != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "go memory: sys %d MB, heap in use %d MB, heap idle %d MB, released %d MB, stacks %d MB, goroutines %d\n",
			ms.Sys>>20, ms.HeapInuse>>20, ms.HeapIdle>>20, ms.HeapReleased>>20, ms.StackInuse>>20, runtime.NumGoroutine())
		return writeHeapProfile(path + "." + name)
	}
	return nil
}

// serveParent reports addrs on stdout, then answers the parent's requests
// (one per line on stdin: "counts" asks for the SQL counts) until stdin
// closes or ctx ends.
func serveParent(ctx context.Context, addrs childAddrs) error {
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(addrs); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		lines := bufio.NewScanner(os.Stdin)
		for lines.Scan() {
			if lines.Text() == "counts" {
				_ = out.Encode(readWireCounts())
			}
		}
	}()
	select {
	case <-ctx.Done():
	case <-done:
	}
	return nil
}

// serveReplica runs a hub and its publisher on the external broker, as a
// freezerd replica does, until the parent lets it go.
func serveReplica(ctx context.Context, store *db.DB, topics devices.Topics, logger *slog.Logger) error {
	var publisher atomic.Pointer[homeassistant.Publisher]
	ext, err := broker.DialExternal(broker.ExternalConfig{URL: os.Getenv(childMQTTURLEnv), ClientID: os.Getenv(childClientIDEnv),
		Topics: topics, ShareGroup: shareGroup, OnReconnect: func() {
			if p := publisher.Load(); p != nil {
				p.Republish()
			}
		}}, logger)
	if err != nil {
		return err
	}
	defer ext.Close()
	p := homeassistant.New(homeassistant.Config{Topics: topics, HubStatus: true}, store, ext, logger)
	if err := p.Start(); err != nil {
		return err
	}
	defer p.Close()
	publisher.Store(p)
	h := hub.New(hub.Config{Topics: topics, OnScan: p.ScanAnswered}, store, devices.IgnoreRetainedScans(ext, topics), logger)
	if err := h.Start(); err != nil {
		return err
	}
	defer h.Close()
	return serveParent(ctx, childAddrs{})
}

// cpuProfileEnv names a file prefix: the children then write a CPU profile
// of the closed-loop scan load (the parent signals its start with SIGUSR1
// and its end with SIGUSR2), to see where a scan's time goes.
const cpuProfileEnv = "FREEZER_BENCH_CPU_PROFILE"

// profileClosedLoop profiles the CPU between SIGUSR1 and SIGUSR2 into path.
func profileClosedLoop(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGUSR1, syscall.SIGUSR2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sig := range signals {
			if sig == syscall.SIGUSR1 {
				_ = pprof.StartCPUProfile(f)
				continue
			}
			pprof.StopCPUProfile()
			return
		}
	}()
	return func() {
		signal.Stop(signals)
		close(signals)
		<-done
		f.Close()
	}, nil
}

// writeHeapProfile saves the child's heap, to see where its memory goes.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}

// allowAll lets every client in as a scanner of household 1: the echo
// child measures the broker alone.
type allowAll struct{}

func (allowAll) AuthenticateDevice(_ context.Context, id, _ string) (*freezer.Device, error) {
	return &freezer.Device{ID: id, Kind: freezer.DeviceScanner, HouseholdID: 1}, nil
}

func (allowAll) SetDeviceOnline(context.Context, string, bool) error { return nil }

// benchClients lets every simulated device, all on loopback, connect at
// once: the broker's default bounds the unauthenticated connections of one
// address far lower.
const benchClients = 1 << 20
