package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/labels"
)

// The child process: the system under measurement runs in its own process
// so that its resident memory is its own. It prints one JSON line with its
// addresses, then serves until stdin closes or it is signalled.

// childEnv selects the child's role: "system" (store, broker, hub, HTTP
// API, as freezerd) or "echo" (the broker with a responder that acks every
// scan without touching a database: the broker's own ceiling).
const childEnv = "FREEZER_BENCH_CHILD"

// childAddrs is what the child reports once it listens.
type childAddrs struct {
	MQTT string `json:"mqtt"`
	HTTP string `json:"http"`
}

func runChild(role string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv(cpuProfileEnv); path != "" {
		stopProfile, err := profileClosedLoop(path + "." + role)
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
	case "system":
		store, err := db.Open(ctx, os.Getenv("FREEZER_BENCH_DSN"))
		if err != nil {
			return err
		}
		closers = append(closers, func() { store.Close() })
		if err := store.Migrate(ctx); err != nil {
			return err
		}
		b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0", Topics: topics, MaxPendingPerIP: benchClients}, store, logger)
		if err != nil {
			return err
		}
		if err := b.Start(); err != nil {
			return err
		}
		closers = append(closers, func() { b.Close() })
		h := hub.New(hub.Config{Topics: topics}, store, b, logger)
		if err := h.Start(); err != nil {
			return err
		}
		closers = append(closers, h.Close)
		services := api.NewServices(store)
		services.Printing = labels.NewSpooler(store, store, labels.SpoolerConfig{})
		services.Disconnector = b
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
	if err := json.NewEncoder(os.Stdout).Encode(addrs); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-ctx.Done():
	case <-done:
	}
	if path := os.Getenv("FREEZER_BENCH_HEAP_PROFILE"); path != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "go memory: sys %d MB, heap in use %d MB, heap idle %d MB, released %d MB, stacks %d MB, goroutines %d\n",
			ms.Sys>>20, ms.HeapInuse>>20, ms.HeapIdle>>20, ms.HeapReleased>>20, ms.StackInuse>>20, runtime.NumGoroutine())
		return writeHeapProfile(path + "." + role)
	}
	return nil
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
