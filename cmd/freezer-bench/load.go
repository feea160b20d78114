package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// scanner is one simulated device: it scans its own product, alternately
// putting it back and taking it out, so that every scan changes a product.
type scanner struct {
	id, password string
	productID    int64
	conn         *mqttConn
	seq          int
}

var topics = devices.Topics{Root: devices.DefaultRoot}

// connect opens the scanner's MQTT connection and subscribes to its acks.
func (s *scanner) connect(addr string) error {
	conn, err := dialMQTT(addr, s.id, s.password)
	if err != nil {
		return err
	}
	if err := conn.subscribe(topics.Ack(s.id)); err != nil {
		conn.close()
		return fmt.Errorf("scanner %s: %w", s.id, err)
	}
	s.conn = conn
	return nil
}

// connectAll connects every scanner to the broker at addr.
func connectAll(scanners []*scanner, addr string) error {
	for _, s := range scanners {
		if err := s.connect(addr); err != nil {
			return err
		}
	}
	return nil
}

// disconnectAll closes every scanner's connection.
func disconnectAll(scanners []*scanner) {
	for _, s := range scanners {
		s.conn.close()
	}
}

// scan sends one scan and waits for its ack; it returns the round trip.
func (s *scanner) scan() (time.Duration, error) {
	s.seq++
	mode := "out"
	if s.seq%2 == 0 {
		mode = "in"
	}
	id := fmt.Sprintf("%s-%d", s.id, s.seq)
	payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: freezer.ProductCode(s.productID), Mode: mode})
	start := time.Now()
	if err := s.conn.publish(topics.Scan(s.id), payload); err != nil {
		return 0, fmt.Errorf("scan %s: %w", id, err)
	}
	for {
		payload, err := s.conn.nextPublish(30 * time.Second)
		if err != nil {
			return 0, fmt.Errorf("scan %s: no ack: %w", id, err)
		}
		a, err := devices.DecodeAck(payload)
		if err != nil || a.ID != id {
			continue
		}
		if a.Status != "ok" && a.Status != "already" {
			return 0, fmt.Errorf("scan %s: ack %+v", id, a)
		}
		return time.Since(start), nil
	}
}

// loadResult is one measured load.
type loadResult struct {
	Count    int
	Elapsed  time.Duration
	P50, P99 time.Duration

	latencies []time.Duration // sorted
}

// add returns the result of r and then o, as one load.
func (r loadResult) add(o loadResult) loadResult {
	return summarize(append(slices.Clone(r.latencies), o.latencies...), r.Elapsed+o.Elapsed)
}

// summarize makes the result of a load from its scan latencies.
func summarize(latencies []time.Duration, elapsed time.Duration) loadResult {
	slices.Sort(latencies)
	r := loadResult{Count: len(latencies), Elapsed: elapsed, latencies: latencies}
	if len(latencies) > 0 {
		r.P50 = latencies[len(latencies)*50/100]
		r.P99 = latencies[min(len(latencies)-1, len(latencies)*99/100)]
	}
	return r
}

// PerSecond is the throughput of the load.
func (r loadResult) PerSecond() float64 { return float64(r.Count) / r.Elapsed.Seconds() }

// closedLoop runs every scanner as fast as its acks come back, for d.
func closedLoop(scanners []*scanner, d time.Duration) (loadResult, error) {
	return runLoad(scanners, d, 0)
}

// openLoop sends rate scans per second in all, spread over the scanners
// (each waits for its ack before its next scan), for d.
func openLoop(scanners []*scanner, d time.Duration, rate float64) (loadResult, error) {
	return runLoad(scanners, d, time.Duration(float64(len(scanners))/rate*float64(time.Second)))
}

func runLoad(scanners []*scanner, d time.Duration, interval time.Duration) (loadResult, error) {
	var mu sync.Mutex
	var latencies []time.Duration
	var firstErr atomic.Value
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for i, s := range scanners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := time.Now().Add(time.Duration(i) * interval / time.Duration(len(scanners)))
			var mine []time.Duration
			for time.Now().Before(stop) {
				if interval > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				rtt, err := s.scan()
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					break
				}
				mine = append(mine, rtt)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		return loadResult{}, err
	}
	return summarize(latencies, elapsed), nil
}
