// Command freezer-bench measures freezerd on this machine and prints one
// table: the scan pipeline against the broker's own ceiling, the REST API
// against the storage ceiling, and resident memory. See docs/performance.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// settings are the sizes of one run.
type settings struct {
	Devices     int
	Duration    time.Duration
	Products    int
	IdleDevices int
	Scans       int // for the memory row "after N scans"
	MySQLDSN    string
	JSON        bool
}

func main() {
	if role := os.Getenv(childEnv); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "freezer-bench child:", err)
			os.Exit(1)
		}
		return
	}
	var s settings
	var quick bool
	flag.IntVar(&s.Devices, "devices", 50, "simulated scanners in closed loop")
	flag.DurationVar(&s.Duration, "duration", 10*time.Second, "how long each load runs")
	flag.IntVar(&s.Products, "products", 10000, "products listed by the REST measurements")
	flag.IntVar(&s.IdleDevices, "idle-devices", 1000, "connected devices for the memory measurement")
	flag.IntVar(&s.Scans, "scans", 100000, "scans before the last memory measurement")
	flag.StringVar(&s.MySQLDSN, "mysql", "", "also measure the scan pipeline on this MySQL database (mysql://…; its tables are created)")
	flag.BoolVar(&quick, "quick", false, "a smaller run of the same, under a minute")
	flag.BoolVar(&s.JSON, "json", false, "print the table as JSON")
	flag.Parse()
	if quick {
		s.Duration, s.Products, s.IdleDevices, s.Scans = 2*time.Second, 2000, 200, 5000
	}
	rows, err := measure(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "freezer-bench:", err)
		os.Exit(1)
	}
	if s.JSON {
		json.NewEncoder(os.Stdout).Encode(rows)
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "measure\tvalue\ttarget\tmet")
	for _, r := range rows {
		met := ""
		if r.Target != "" {
			met = map[bool]string{true: "yes", false: "NO"}[r.Met]
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Name, r.Value, r.Target, met)
	}
	w.Flush()
}

// row is one line of the table.
type row struct {
	Name   string  `json:"name"`
	Value  string  `json:"value"`
	Number float64 `json:"number"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Met    bool    `json:"met"`
}

func num(name string, v float64, unit, format string) row {
	return row{Name: name, Value: fmt.Sprintf(format, v) + " " + unit, Number: v, Unit: unit}
}

func (r row) target(text string, met bool) row { r.Target, r.Met = text, met; return r }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func measure(s settings) ([]row, error) {
	dir, err := os.MkdirTemp("", "freezer-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var rows []row

	dsn := "sqlite:" + filepath.Join(dir, "bench.db")
	fx, err := seed(dsn, s)
	if err != nil {
		return nil, fmt.Errorf("seed sqlite: %w", err)
	}
	sys, err := startChild("system", dsn)
	if err != nil {
		return nil, err
	}
	defer sys.stop()
	time.Sleep(500 * time.Millisecond)
	if rss, err := sys.rssMB(); err == nil {
		rows = append(rows, num("memory: resident, idle", rss, "MB", "%.1f"))
	}

	// The memory states in turn: idle, with every device connected, after
	// the scans, after the REST load. The scans run with the N scanners
	// alone, as against the ceiling.
	scanners := fx.scanners[:s.Devices]
	idle := fx.scanners[s.Devices : s.Devices+s.IdleDevices]
	if err := connectAll(append(scanners, idle...), sys.addrs.MQTT); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // freezerd trims its memory a second after a burst of connections
	rssDevices, _ := sys.rssMB()
	disconnectAll(idle)
	time.Sleep(2 * time.Second) // freezerd records each device offline
	// The ceiling: the same scanners, by other connections, against a
	// broker that acks without a database.
	echo, err := startChild("echo", "")
	if err != nil {
		return nil, err
	}
	defer echo.stop()
	echoScanners := make([]*scanner, len(scanners))
	for i, sc := range scanners {
		echoScanners[i] = &scanner{id: sc.id, password: sc.password, productID: sc.productID}
	}
	if err := connectAll(echoScanners, echo.addrs.MQTT); err != nil {
		return nil, err
	}
	pipeline, ceiling, pipelineCPU, ceilingCPU, err := pipelineAndCeiling(sys, echo, scanners, echoScanners, s.Duration)
	if err != nil {
		return nil, err
	}
	disconnectAll(echoScanners)
	echo.stop()
	steady, err := openLoop(scanners, s.Duration, 1000)
	if err != nil {
		return nil, fmt.Errorf("scan pipeline at 1000/s: %w", err)
	}
	done := pipeline.Count + steady.Count
	for done < s.Scans {
		r, err := closedLoop(scanners, time.Second)
		if err != nil {
			return nil, err
		}
		done += r.Count
	}
	rssScans, _ := sys.rssMB()
	rest, err := measureREST(fx, sys.addrs.HTTP, s.Duration)
	if err != nil {
		return nil, err
	}
	rssREST, _ := sys.rssMB()
	disconnectAll(scanners)
	sys.stop()

	ratio := pipeline.PerSecond() / ceiling.PerSecond()
	rows = append(rows,
		num(fmt.Sprintf("scans: SQLite, %d devices", s.Devices), pipeline.PerSecond(), "acked/s", "%.0f").target("≥ 10000", pipeline.PerSecond() >= 10000),
		num("scans: SQLite p50", ms(pipeline.P50), "ms", "%.2f"),
		num("scans: SQLite p99", ms(pipeline.P99), "ms", "%.2f"),
		num("scans: broker ceiling (no database)", ceiling.PerSecond(), "acked/s", "%.0f"),
		num("scans: ceiling p99", ms(ceiling.P99), "ms", "%.2f"),
		num("scans: SQLite / ceiling", 100*ratio, "%", "%.0f").target("≥ 50%", ratio >= 0.5),
		num("scans: CPU per scan, freezerd (SQLite)", perScan(pipelineCPU.server, pipeline), "µs", "%.0f"),
		num("scans: CPU per scan, broker ceiling", perScan(ceilingCPU.server, ceiling), "µs", "%.0f"),
		num("scans: CPU per scan, load generator", perScan(pipelineCPU.load, pipeline), "µs", "%.0f"),
		num("scans: p99 at 1000 scans/s", ms(steady.P99), "ms", "%.2f").target("< 20 ms", steady.P99 < 20*time.Millisecond),
	)
	rows = append(rows, rest...)
	rows = append(rows,
		num(fmt.Sprintf("memory: resident, %d devices connected", s.IdleDevices+s.Devices), rssDevices, "MB", "%.1f").target("< 60 MB", rssDevices < 60),
		num(fmt.Sprintf("memory: resident, after %d scans", done), rssScans, "MB", "%.1f"),
		num("memory: resident, after the REST load", rssREST, "MB", "%.1f"),
	)

	if s.MySQLDSN != "" {
		r, err := measureMySQL(s)
		if err != nil {
			return nil, fmt.Errorf("mysql: %w", err)
		}
		rows = append(rows,
			num(fmt.Sprintf("scans: MySQL, %d devices", s.Devices), r.PerSecond(), "acked/s", "%.0f"),
			num("scans: MySQL p99", ms(r.P99), "ms", "%.2f"),
			num("scans: MySQL / ceiling", 100*r.PerSecond()/ceiling.PerSecond(), "%", "%.0f"),
		)
	}
	return rows, nil
}

// cpuTime is the CPU time a load took, in seconds: the server's and the
// load generator's (this process).
type cpuTime struct{ server, load float64 }

func (c cpuTime) add(o cpuTime) cpuTime { return cpuTime{c.server + o.server, c.load + o.load} }

// perScan returns seconds per scan of r in microseconds.
func perScan(seconds float64, r loadResult) float64 {
	if r.Count == 0 {
		return 0
	}
	return seconds * 1e6 / float64(r.Count)
}

// closedLoopCPU runs closedLoop against c and measures the CPU it took.
func closedLoopCPU(c *child, scanners []*scanner, d time.Duration) (loadResult, cpuTime, error) {
	profiling := os.Getenv(cpuProfileEnv) != ""
	if profiling {
		_ = c.cmd.Process.Signal(syscall.SIGUSR1)
	}
	server0, err1 := c.cpuSeconds()
	load0, err2 := processCPUSeconds(os.Getpid())
	r, err := closedLoop(scanners, d)
	if profiling {
		_ = c.cmd.Process.Signal(syscall.SIGUSR2)
	}
	if err != nil {
		return r, cpuTime{}, err
	}
	server1, err3 := c.cpuSeconds()
	load1, err4 := processCPUSeconds(os.Getpid())
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return r, cpuTime{}, err
	}
	return r, cpuTime{server: server1 - server0, load: load1 - load0}, nil
}

// pipelineRounds is how many turns the scan pipeline and its ceiling take:
// measured in alternation, so that a machine that changes speed meanwhile
// (a shared host) changes both alike.
const pipelineRounds = 4

// pipelineAndCeiling measures the closed-loop scan pipeline against sys and
// the same load against the echo child, in alternating rounds of d in all.
func pipelineAndCeiling(sys, echo *child, scanners, echoScanners []*scanner, d time.Duration) (pipeline, ceiling loadResult, pipelineCPU, ceilingCPU cpuTime, err error) {
	for range pipelineRounds {
		r, cpu, err := closedLoopCPU(sys, scanners, d/pipelineRounds)
		if err != nil {
			return pipeline, ceiling, pipelineCPU, ceilingCPU, fmt.Errorf("scan pipeline: %w", err)
		}
		pipeline, pipelineCPU = pipeline.add(r), pipelineCPU.add(cpu)
		if r, cpu, err = closedLoopCPU(echo, echoScanners, d/pipelineRounds); err != nil {
			return pipeline, ceiling, pipelineCPU, ceilingCPU, fmt.Errorf("broker ceiling: %w", err)
		}
		ceiling, ceilingCPU = ceiling.add(r), ceilingCPU.add(cpu)
	}
	return pipeline, ceiling, pipelineCPU, ceilingCPU, nil
}

func measureMySQL(s settings) (loadResult, error) {
	s.Products, s.IdleDevices = s.Devices, 0
	fx, err := seed(s.MySQLDSN, s)
	if err != nil {
		return loadResult{}, err
	}
	sys, err := startChild("system", s.MySQLDSN)
	if err != nil {
		return loadResult{}, err
	}
	defer sys.stop()
	scanners := fx.scanners[:s.Devices]
	if err := connectAll(scanners, sys.addrs.MQTT); err != nil {
		return loadResult{}, err
	}
	defer disconnectAll(scanners)
	return closedLoop(scanners, s.Duration)
}

// fixture is the seeded data: a user with products, and scanners.
type fixture struct {
	dsn      string
	token    string
	scanners []*scanner
}

// seed creates a user, a freezer with s.Products products, and one scanner
// (with its own product) per device the run connects.
func seed(dsn string, s settings) (*fixture, error) {
	ctx := freezer.SystemContext(context.Background())
	store, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return nil, err
	}
	reg, err := store.RegisterUser(ctx, freezer.Registration{Email: fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano()), Password: "bench password"})
	if err != nil {
		return nil, err
	}
	nDevices := s.Devices + s.IdleDevices
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "bench", NumberBoxes: 100}
	if err := store.CreateFreezer(ctx, f); err != nil {
		return nil, err
	}
	today := freezer.DateOf(time.Now())
	fx := &fixture{dsn: dsn, token: reg.Token}
	for i := range max(s.Products, nDevices) {
		p := &freezer.Product{FreezerID: f.ID, Box: i%100 + 1, Name: "Product " + strconv.Itoa(i), TypeID: int64(i%43 + 1),
			Quantity: 2, DateIn: today.AddDays(-i % 400), PeriodMonths: 6}
		if err := store.CreateProduct(ctx, p); err != nil {
			return nil, err
		}
		if i < nDevices {
			d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "bench " + strconv.Itoa(i)}
			password, err := store.CreateDevice(ctx, d)
			if err != nil {
				return nil, err
			}
			fx.scanners = append(fx.scanners, &scanner{id: d.ID, password: password, productID: p.ID})
		}
	}
	return fx, nil
}

// child is the process under measurement.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addrs childAddrs
}

func startChild(role, dsn string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"="+role, "FREEZER_BENCH_DSN="+dsn)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("%s child did not start: %w", role, err)
	}
	if err := json.Unmarshal(line, &c.addrs); err != nil {
		c.stop()
		return nil, fmt.Errorf("%s child: %w", role, err)
	}
	return c, nil
}

// cpuSeconds reads the CPU time (user and system) the child used so far.
func (c *child) cpuSeconds() (float64, error) {
	return processCPUSeconds(c.cmd.Process.Pid)
}

// processCPUSeconds reads a process's CPU time from /proc/PID/stat.
func processCPUSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from its end.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / clockTicks, nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc CPU times (100 on Linux).
const clockTicks = 100

// rssMB reads the child's resident set size from /proc.
func (c *child) rssMB() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

func (c *child) stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}
