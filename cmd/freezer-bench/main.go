// Command freezer-bench measures freezerd on this machine and prints one
// table: the scan pipeline against the broker's own ceiling, in a small
// household and in one of --inside products; the REST API against the
// storage ceiling and the dashboard's first load; resident memory; with
// --mysql, the scan pipeline on MySQL against the same work straight on the
// database, and freezerd replicas on one external broker. See
// docs/performance.md.
package main

import (
	"bufio"
	"bytes"
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
)

// settings are the sizes of one run.
type settings struct {
	Devices     int
	Duration    time.Duration
	Inside      int // products inside the household of the sized scan load and the REST loads
	IdleDevices int
	Scans       int // for the memory row "after N scans"
	MySQLDSN    string
	Replicas    []int
	MQTTURL     string
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
	inside, replicas := -1, ""
	flag.IntVar(&s.Devices, "devices", 50, "simulated scanners in closed loop")
	flag.DurationVar(&s.Duration, "duration", 10*time.Second, "how long each load runs")
	flag.IntVar(&inside, "inside", -1, "products inside the scanners' household for the sized scan load and the REST loads (default 10000, 2000 with --quick)")
	flag.IntVar(&s.IdleDevices, "idle-devices", 1000, "connected devices for the memory measurement")
	flag.IntVar(&s.Scans, "scans", 100000, "scans before the last memory measurement")
	flag.StringVar(&s.MySQLDSN, "mysql", "", "also measure on MySQL (mysql://…/NAME; the run creates databases NAME_pipeline and NAME_ceiling, dropping earlier ones)")
	flag.StringVar(&replicas, "replicas", "1,3", "with --mysql: the numbers of freezerd replicas on one external broker to measure, comma-separated (\"\" for none)")
	flag.StringVar(&s.MQTTURL, "mqtt-url", "", "with --replicas: this external broker (tcp://…) instead of a Mosquitto the run starts")
	flag.BoolVar(&quick, "quick", false, "a smaller run of the same")
	flag.BoolVar(&s.JSON, "json", false, "print the table as JSON")
	flag.Parse()
	s.Inside = 10000
	if quick {
		s.Duration, s.Inside, s.IdleDevices, s.Scans = 2*time.Second, 2000, 200, 5000
	}
	if inside >= 0 {
		s.Inside = inside
	}
	var err error
	if s.Replicas, err = parseReplicas(replicas); err != nil {
		fmt.Fprintln(os.Stderr, "freezer-bench: --replicas:", err)
		os.Exit(2)
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

// parseReplicas reads a comma-separated list of replica counts.
func parseReplicas(list string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a number of replicas", f)
		}
		counts = append(counts, n)
	}
	return counts, nil
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

// percent is the row of a ratio, in percent.
func percent(name string, ratio float64) row { return num(name, 100*ratio, "%", "%.0f") }

func measure(s settings) ([]row, error) {
	dir, err := os.MkdirTemp("", "freezer-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rows, err := measureSQLite(s, dir)
	if err != nil {
		return nil, err
	}
	if s.MySQLDSN == "" {
		return rows, nil
	}
	mysqlRows, err := measureMySQL(s)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	return append(rows, mysqlRows...), nil
}

// measureSQLite runs the scan loads, the REST loads and the memory
// measurements on SQLite.
func measureSQLite(s settings, dir string) ([]row, error) {
	dsn := "sqlite:" + filepath.Join(dir, "bench.db")
	fx, err := seed(dsn, seedPlan{devices: s.Devices, inside: s.Inside, busy: busyDevices, idle: s.IdleDevices})
	if err != nil {
		return nil, fmt.Errorf("seed sqlite: %w", err)
	}
	sys, err := startChild("system", dsn)
	if err != nil {
		return nil, err
	}
	defer sys.stop()
	var rows []row
	time.Sleep(500 * time.Millisecond)
	if rss, err := sys.rssMB(); err == nil {
		rows = append(rows, num("memory: resident, idle", rss, "MB", "%.1f"))
	}

	// The memory states in turn: idle, with the devices connected, after
	// the scans, after the REST load. The scans run with their scanners
	// alone, as against the ceiling.
	few, many, busy := fx.few.scanners, fx.many.scanners, fx.busy.scanners
	if err := connectAll(append(few, fx.idle...), sys.addrs.MQTT); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // freezerd trims its memory a second after a burst of connections
	rssDevices, _ := sys.rssMB()
	disconnectAll(fx.idle)
	if err := connectAll(append(many, busy...), sys.addrs.MQTT); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // freezerd records each device offline
	// The ceiling: the same scanners, by other connections, against a
	// broker that acks without a database.
	echo, err := startChild("echo", "")
	if err != nil {
		return nil, err
	}
	defer echo.stop()
	echoFew, echoBusy := echoScanners(few), echoScanners(busy)
	if err := connectAll(append(echoFew, echoBusy...), echo.addrs.MQTT); err != nil {
		return nil, err
	}
	// freezerd without its publisher, on the same database: what the
	// publisher's work after each batch costs.
	bare, err := startChild("system", dsn, noPublisherEnv+"=1")
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	bareFew, bareMany, bareBusy := echoScanners(few), echoScanners(many), echoScanners(busy)
	if err := connectAll(append(bareFew, append(bareMany, bareBusy...)...), bare.addrs.MQTT); err != nil {
		return nil, err
	}
	r, err := alternate(s.Duration, closedTurn(sys, few), closedTurn(echo, echoFew), closedTurn(sys, many), closedTurn(bare, bareFew), closedTurn(bare, bareMany))
	if err != nil {
		return nil, err
	}
	pipeline, ceiling, sized, bareResult, bareSized := r[0], r[1], r[2], r[3], r[4]
	r, err = alternate(s.Duration, closedTurn(sys, busy), closedTurn(echo, echoBusy), closedTurn(bare, bareBusy))
	if err != nil {
		return nil, err
	}
	pipelineBusy, ceilingBusy, bareBusyResult := r[0], r[1], r[2]
	disconnectAll(append(echoFew, echoBusy...))
	echo.stop()
	disconnectAll(append(bareFew, append(bareMany, bareBusy...)...))
	bare.stop()
	steady, err := openLoop(few, s.Duration, 1000)
	if err != nil {
		return nil, fmt.Errorf("scan pipeline at 1000/s: %w", err)
	}
	done := pipeline.Count + sized.Count + pipelineBusy.Count + steady.Count
	for done < s.Scans {
		r, err := closedLoop(few, time.Second)
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
	disconnectAll(append(few, append(many, busy...)...))
	sys.stop()

	ratio, ratioBusy := pipeline.PerSecond()/ceiling.PerSecond(), pipelineBusy.PerSecond()/ceilingBusy.PerSecond()
	rows = append(rows,
		num(fmt.Sprintf("scans: SQLite, %d devices", s.Devices), pipeline.PerSecond(), "acked/s", "%.0f").target("≥ 10000", pipeline.PerSecond() >= 10000),
		num("scans: SQLite p50", ms(pipeline.P50), "ms", "%.2f"),
		num("scans: SQLite p99", ms(pipeline.P99), "ms", "%.2f"),
		num("scans: broker ceiling (no database)", ceiling.PerSecond(), "acked/s", "%.0f"),
		num("scans: ceiling p99", ms(ceiling.P99), "ms", "%.2f"),
		percent(fmt.Sprintf("scans: SQLite / ceiling, %d devices", s.Devices), ratio),
		num("scans: CPU per scan, freezerd (SQLite)", perScan(pipeline.cpu.server, pipeline.loadResult), "µs", "%.0f"),
		num("scans: CPU per scan, broker ceiling", perScan(ceiling.cpu.server, ceiling.loadResult), "µs", "%.0f"),
		num("scans: CPU per scan, load generator", perScan(pipeline.cpu.load, pipeline.loadResult), "µs", "%.0f"),
		num(fmt.Sprintf("scans: SQLite, %d devices", busyDevices), pipelineBusy.PerSecond(), "acked/s", "%.0f"),
		num(fmt.Sprintf("scans: SQLite, %d devices p99", busyDevices), ms(pipelineBusy.P99), "ms", "%.2f"),
		num(fmt.Sprintf("scans: broker ceiling, %d devices", busyDevices), ceilingBusy.PerSecond(), "acked/s", "%.0f"),
		percent(fmt.Sprintf("scans: SQLite / ceiling, %d devices", busyDevices), ratioBusy).target("≥ 50%", ratioBusy >= 0.5),
		percent(fmt.Sprintf("scans: SQLite without the publisher / ceiling, %d devices", s.Devices), bareResult.PerSecond()/ceiling.PerSecond()),
		percent(fmt.Sprintf("scans: SQLite without the publisher / ceiling, %d devices", busyDevices), bareBusyResult.PerSecond()/ceilingBusy.PerSecond()),
		percent(fmt.Sprintf("scans: SQLite without the publisher, %d products / %d products", s.Devices+s.Inside, s.Devices), bareSized.PerSecond()/bareResult.PerSecond()),
	)
	rows = append(rows, sizeRows("SQLite", s, pipeline.loadResult, sized.loadResult)...)
	rows = append(rows, num("scans: p99 at 1000 scans/s", ms(steady.P99), "ms", "%.2f").target("< 20 ms", steady.P99 < 20*time.Millisecond))
	rows = append(rows, rest...)
	rows = append(rows,
		num(fmt.Sprintf("memory: resident, %d devices connected", len(few)+len(fx.idle)), rssDevices, "MB", "%.1f").target("< 60 MB", rssDevices < 60),
		num(fmt.Sprintf("memory: resident, after %d scans", done), rssScans, "MB", "%.1f"),
		num("memory: resident, after the REST load", rssREST, "MB", "%.1f"),
	)
	return rows, nil
}

// sizeRows compares the scan pipeline in a household of its scanners' own
// products with one that holds s.Inside more.
func sizeRows(dialect string, s settings, small, sized loadResult) []row {
	ratio := sized.PerSecond() / small.PerSecond()
	return []row{
		num(fmt.Sprintf("scans: %s, %d devices, household of %d products", dialect, s.Devices, s.Devices), small.PerSecond(), "acked/s", "%.0f"),
		num(fmt.Sprintf("scans: %s, %d devices, household of %d products", dialect, s.Devices, s.Devices+s.Inside), sized.PerSecond(), "acked/s", "%.0f"),
		num(fmt.Sprintf("scans: %s, %d devices, household of %d products p99", dialect, s.Devices, s.Devices+s.Inside), ms(sized.P99), "ms", "%.2f"),
		percent(fmt.Sprintf("scans: %s, %d products / %d products", dialect, s.Devices+s.Inside, s.Devices), ratio).target("≥ 90%", ratio >= 0.9),
	}
}

// echoScanners returns scanners of the same ids, for connections of their own.
func echoScanners(scanners []*scanner) []*scanner {
	echo := make([]*scanner, len(scanners))
	for i, sc := range scanners {
		echo[i] = &scanner{id: sc.id, password: sc.password, productID: sc.productID}
	}
	return echo
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

// pipelineRounds is how many turns each load of an alternation takes:
// measured in alternation, so that a machine that changes speed meanwhile
// (a shared host) changes all alike.
const pipelineRounds = 4

// turn runs one load for d and says what it did and the CPU it took.
type turn func(d time.Duration) (loadResult, cpuTime, error)

// turnResult is what the rounds of one turn did together.
type turnResult struct {
	loadResult
	cpu cpuTime
}

// closedTurn is the closed-loop load of scanners against c.
func closedTurn(c *child, scanners []*scanner) turn {
	return func(d time.Duration) (loadResult, cpuTime, error) { return closedLoopCPU(c, scanners, d) }
}

// alternate runs the turns one after the other, pipelineRounds times, each
// for d in all.
func alternate(d time.Duration, turns ...turn) ([]turnResult, error) {
	results := make([]turnResult, len(turns))
	for range pipelineRounds {
		for i, t := range turns {
			r, cpu, err := t(d / pipelineRounds)
			if err != nil {
				return nil, err
			}
			results[i] = turnResult{results[i].add(r), results[i].cpu.add(cpu)}
		}
	}
	return results, nil
}

// child is the process under measurement.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	addrs  childAddrs
}

// counts asks the child for the counts of its MySQL traffic so far.
func (c *child) counts() (sqlCounts, error) {
	var counts sqlCounts
	if _, err := io.WriteString(c.stdin, "counts\n"); err != nil {
		return counts, fmt.Errorf("ask for counts: %w", err)
	}
	line, err := c.stdout.ReadBytes('\n')
	if err != nil {
		return counts, fmt.Errorf("read counts: %w", err)
	}
	return counts, json.Unmarshal(line, &counts)
}

func startChild(role, dsn string, env ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(append(os.Environ(), childEnv+"="+role, childDSNEnv+"="+dsn), env...)
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
	c := &child{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}
	line, err := c.stdout.ReadBytes('\n')
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
