package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
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

	// What the scanner saw go wrong, counted by scanWithin.
	lost    map[string]bool // scans that got no ack in time and none since
	doubled int             // acks of a scan that had its ack already
	already int             // "already" acks: the scan changed nothing
}

// errNoAck is a scan that got no ack in time.
var errNoAck = errors.New("no ack")

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
func (s *scanner) scan() (time.Duration, error) { return s.scanWithin(30 * time.Second) }

// scanWithin sends one scan and waits at most timeout for its ack; it
// returns the round trip, or an error wrapping errNoAck.
func (s *scanner) scanWithin(timeout time.Duration) (time.Duration, error) {
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
	deadline := start.Add(timeout)
	for {
		payload, err := s.conn.nextPublish(time.Until(deadline))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if s.lost == nil {
				s.lost = make(map[string]bool)
			}
			s.lost[id] = true
			return 0, fmt.Errorf("scan %s: %w in %v", id, errNoAck, timeout)
		}
		if err != nil {
			return 0, fmt.Errorf("scan %s: no ack: %w", id, err)
		}
		a, err := devices.DecodeAck(payload)
		if err != nil {
			continue
		}
		if a.ID != id {
			s.earlierAck(a.ID)
			continue
		}
		switch a.Status {
		case "ok":
		case "already":
			s.already++
		default:
			return 0, fmt.Errorf("scan %s: ack %+v", id, a)
		}
		return time.Since(start), nil
	}
}

// earlierAck counts an ack of one of the scanner's earlier scans: a second
// ack of a scan answered already, or the late ack of a lost scan.
func (s *scanner) earlierAck(id string) {
	if s.lost[id] {
		delete(s.lost, id) // late, not lost
		return
	}
	if strings.HasPrefix(id, s.id+"-") {
		s.doubled++
	}
}

// drainAcks reads what arrives for wait after a load: late and doubled acks.
func drainAcks(scanners []*scanner, wait time.Duration) {
	var wg sync.WaitGroup
	for _, s := range scanners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(wait)
			for {
				payload, err := s.conn.nextPublish(time.Until(deadline))
				if err != nil {
					return
				}
				if a, err := devices.DecodeAck(payload); err == nil {
					s.earlierAck(a.ID)
				}
			}
		}()
	}
	wg.Wait()
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
	return runLoad(scanners, d, 0, 0)
}

// lossyClosedLoop is closedLoop where a scan without an ack within timeout
// is counted lost (see scanner.lost) and its scanner goes on with its next.
func lossyClosedLoop(scanners []*scanner, d, timeout time.Duration) (loadResult, error) {
	return runLoad(scanners, d, 0, timeout)
}

// openLoop sends rate scans per second in all, spread over the scanners
// (each waits for its ack before its next scan), for d.
func openLoop(scanners []*scanner, d time.Duration, rate float64) (loadResult, error) {
	return runLoad(scanners, d, time.Duration(float64(len(scanners))/rate*float64(time.Second)), 0)
}

// runLoad runs the scanners for d, each waiting interval between its
// scans; with lossTimeout, a scan without an ack by then is lost, not an
// error.
func runLoad(scanners []*scanner, d, interval, lossTimeout time.Duration) (loadResult, error) {
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
				var rtt time.Duration
				var err error
				if lossTimeout > 0 {
					rtt, err = s.scanWithin(lossTimeout)
					if errors.Is(err, errNoAck) {
						continue
					}
				} else {
					rtt, err = s.scan()
				}
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
