package main

import (
	"database/sql"
	"fmt"
	"time"
)

// measureMySQL runs the scan loads on MySQL: at the sizes, at busyDevices
// against the storage ceiling, and with replicas on an external broker.
func measureMySQL(s settings) ([]row, error) {
	dsn, err := mysqlDatabase(s.MySQLDSN, "_pipeline")
	if err != nil {
		return nil, err
	}
	fx, err := seed(dsn, seedPlan{devices: s.Devices, inside: s.Inside, busy: busyDevices})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	server, err := openServerStatus(dsn)
	if err != nil {
		return nil, err
	}
	defer server.Close()
	ceiling, err := prepareCeiling(s.MySQLDSN)
	if err != nil {
		return nil, fmt.Errorf("storage ceiling: %w", err)
	}
	defer ceiling.close()
	sys, err := startChild("system", dsn)
	if err != nil {
		return nil, err
	}
	defer sys.stop()
	few, many, busy := fx.few.scanners, fx.many.scanners, fx.busy.scanners
	if err := connectAll(append(few, append(many, busy...)...), sys.addrs.MQTT); err != nil {
		return nil, err
	}
	time.Sleep(time.Second) // freezerd records each device online

	status0, err := server.read()
	if err != nil {
		return nil, err
	}
	counts0, err := sys.counts()
	if err != nil {
		return nil, err
	}
	r, err := alternate(s.Duration, closedTurn(sys, few), closedTurn(sys, many))
	if err != nil {
		return nil, err
	}
	pipeline, sized := r[0], r[1]
	counts1, err := sys.counts()
	if err != nil {
		return nil, err
	}
	// The storage ceiling's best batching, found in short runs, then in
	// alternation with the scan pipeline at busyDevices.
	best, err := ceiling.best(busyDevices, s.Duration/4)
	if err != nil {
		return nil, err
	}
	bestFew, err := ceiling.best(s.Devices, s.Duration/4)
	if err != nil {
		return nil, err
	}
	counts2, err := sys.counts()
	if err != nil {
		return nil, err
	}
	r, err = alternate(s.Duration, closedTurn(sys, busy), ceiling.turn(best))
	if err != nil {
		return nil, err
	}
	pipelineBusy, ceilingBusy := r[0], r[1]
	counts3, err := sys.counts()
	if err != nil {
		return nil, err
	}
	status1, err := server.read()
	if err != nil {
		return nil, err
	}
	disconnectAll(append(few, append(many, busy...)...))
	sys.stop()

	ratio := pipelineBusy.PerSecond() / ceilingBusy.PerSecond()
	rows := []row{
		num(fmt.Sprintf("scans: MySQL, %d devices", s.Devices), pipeline.PerSecond(), "acked/s", "%.0f"),
		num("scans: MySQL p99", ms(pipeline.P99), "ms", "%.2f"),
	}
	rows = append(rows, sizeRows("MySQL", s, pipeline.loadResult, sized.loadResult)...)
	rows = append(rows,
		num(fmt.Sprintf("scans: MySQL, %d devices", busyDevices), pipelineBusy.PerSecond(), "acked/s", "%.0f"),
		num(fmt.Sprintf("scans: MySQL, %d devices p99", busyDevices), ms(pipelineBusy.P99), "ms", "%.2f").target("< 50 ms", pipelineBusy.P99 < 50*time.Millisecond),
		num(fmt.Sprintf("storage ceiling: MySQL, %d scans in flight (%s)", busyDevices, best), ceilingBusy.PerSecond(), "scans/s", "%.0f"),
		percent(fmt.Sprintf("scans: MySQL / storage ceiling, %d devices", busyDevices), ratio).target("≥ 50%", ratio >= 0.5),
		num(fmt.Sprintf("storage ceiling: MySQL, %d scans in flight (%s)", s.Devices, bestFew), bestFew.perSecond, "scans/s", "%.0f"),
		percent(fmt.Sprintf("scans: MySQL / storage ceiling, %d devices", s.Devices), pipeline.PerSecond()/bestFew.perSecond),
		num("storage ceiling: MySQL, batches retried after a deadlock", float64(ceiling.retries.Load()), "batches", "%.0f"),
	)
	rows = append(rows, wireRows(fmt.Sprintf("%d devices", s.Devices), counts1.sub(counts0), pipeline.Count+sized.Count)...)
	rows = append(rows, wireRows(fmt.Sprintf("%d devices", busyDevices), counts3.sub(counts2), pipelineBusy.Count)...)
	d := status1.sub(status0)
	rows = append(rows,
		num("scans: MySQL, row lock waits (server-wide, during the loads)", float64(d.rowLockWaits), "waits", "%.0f"),
		num("scans: MySQL, row lock time (server-wide, during the loads)", float64(d.rowLockTimeMS), "ms", "%.0f"),
		num("scans: MySQL, deadlocks (server-wide, during the loads)", float64(d.deadlocks), "deadlocks", "%.0f"),
	)
	if len(s.Replicas) > 0 {
		replicaRows, err := measureReplicas(s, dsn, busy)
		if err != nil {
			return nil, fmt.Errorf("replicas: %w", err)
		}
		rows = append(rows, replicaRows...)
	}
	return rows, nil
}

// wireRows are the round trips and statements per batch of scans that the
// freezerd's MySQL connections sent, read on the wire.
func wireRows(load string, c sqlCounts, scans int) []row {
	batches := float64(max(c.Commits, 1))
	return []row{
		num(fmt.Sprintf("scans: MySQL, %s: scans per batch", load), float64(scans)/batches, "scans", "%.1f"),
		num(fmt.Sprintf("scans: MySQL, %s: round trips per batch", load), float64(c.Commands)/batches, "round trips", "%.1f"),
		num(fmt.Sprintf("scans: MySQL, %s: statements per batch", load), float64(c.Statements)/batches, "statements", "%.1f"),
		num(fmt.Sprintf("scans: MySQL, %s: statements prepared per batch", load), float64(c.Prepares)/batches, "prepares", "%.1f"),
		num(fmt.Sprintf("scans: MySQL, %s: deadlocks and lock wait timeouts answered (retried)", load), float64(c.Deadlocks+c.LockWaits), "errors", "%.0f"),
	}
}

// serverStatus is a connection that reads the server's lock counters.
type serverStatus struct{ *sql.DB }

// lockStatus is InnoDB's lock counters, server-wide.
type lockStatus struct {
	rowLockWaits, rowLockTimeMS, deadlocks int64
}

func (s lockStatus) sub(o lockStatus) lockStatus {
	return lockStatus{s.rowLockWaits - o.rowLockWaits, s.rowLockTimeMS - o.rowLockTimeMS, s.deadlocks - o.deadlocks}
}

func openServerStatus(dsn string) (*serverStatus, error) {
	conn, err := openRaw(dsn)
	if err != nil {
		return nil, err
	}
	return &serverStatus{conn}, nil
}

func (s *serverStatus) read() (lockStatus, error) {
	rows, err := s.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_deadlocks')")
	if err != nil {
		return lockStatus{}, fmt.Errorf("read server status: %w", err)
	}
	defer rows.Close()
	var st lockStatus
	for rows.Next() {
		var name string
		var value int64
		if err := rows.Scan(&name, &value); err != nil {
			return st, fmt.Errorf("read server status: %w", err)
		}
		switch name {
		case "Innodb_row_lock_waits":
			st.rowLockWaits = value
		case "Innodb_row_lock_time":
			st.rowLockTimeMS = value
		case "Innodb_deadlocks":
			st.deadlocks = value
		}
	}
	return st, rows.Err()
}
