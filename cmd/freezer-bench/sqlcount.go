package main

import (
	"context"
	"net"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// sqlCounts are what a process's MySQL connections sent and received, read
// from the MySQL protocol on the wire: every command is one round trip.
type sqlCounts struct {
	Commands   int64 `json:"commands"`   // round trips: commands the server answers
	Statements int64 `json:"statements"` // queries and executions of prepared statements, transaction control included
	Commits    int64 `json:"commits"`
	Rollbacks  int64 `json:"rollbacks"`
	Prepares   int64 `json:"prepares"`
	Deadlocks  int64 `json:"deadlocks"`  // error 1213 answered (deadlock, or a Galera certification conflict)
	LockWaits  int64 `json:"lock_waits"` // error 1205 answered (lock wait timeout)
	Errors     int64 `json:"errors"`     // every error answered
}

func (c sqlCounts) add(o sqlCounts) sqlCounts {
	return sqlCounts{c.Commands + o.Commands, c.Statements + o.Statements, c.Commits + o.Commits, c.Rollbacks + o.Rollbacks,
		c.Prepares + o.Prepares, c.Deadlocks + o.Deadlocks, c.LockWaits + o.LockWaits, c.Errors + o.Errors}
}

func (c sqlCounts) sub(o sqlCounts) sqlCounts {
	return sqlCounts{c.Commands - o.Commands, c.Statements - o.Statements, c.Commits - o.Commits, c.Rollbacks - o.Rollbacks,
		c.Prepares - o.Prepares, c.Deadlocks - o.Deadlocks, c.LockWaits - o.LockWaits, c.Errors - o.Errors}
}

// wireCounts is the process's running count.
var wireCounts struct {
	commands, statements, commits, rollbacks, prepares, deadlocks, lockWaits, errors atomic.Int64
}

func readWireCounts() sqlCounts {
	w := &wireCounts
	return sqlCounts{w.commands.Load(), w.statements.Load(), w.commits.Load(), w.rollbacks.Load(),
		w.prepares.Load(), w.deadlocks.Load(), w.lockWaits.Load(), w.errors.Load()}
}

// countMySQLTraffic makes every MySQL connection of this process (the
// driver's "tcp" network, which freezerd's DSNs use) count its commands and
// errors.
func countMySQLTraffic() {
	mysql.RegisterDialContext("tcp", func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: conn, sent: packetReader{onPacket: countCommand}, received: packetReader{onPacket: countReply}}, nil
	})
}

// MySQL command bytes (the first byte of a packet that starts a command).
const (
	comQuery       = 0x03
	comStmtPrepare = 0x16
	comStmtExecute = 0x17
	comStmtClose   = 0x19 // not answered
	comQuit        = 0x01 // not answered
)

// countCommand counts a client packet: a command when it is the first of
// its exchange (sequence number 0).
func countCommand(seq byte, head []byte) {
	if seq != 0 || len(head) == 0 {
		return
	}
	w := &wireCounts
	if head[0] == comStmtClose || head[0] == comQuit {
		return
	}
	w.commands.Add(1)
	switch head[0] {
	case comQuery:
		w.statements.Add(1)
		text := strings.ToUpper(strings.TrimSpace(string(head[1:])))
		switch {
		case strings.HasPrefix(text, "COMMIT"):
			w.commits.Add(1)
		case strings.HasPrefix(text, "ROLLBACK"):
			w.rollbacks.Add(1)
		}
	case comStmtExecute:
		w.statements.Add(1)
	case comStmtPrepare:
		w.prepares.Add(1)
	}
}

// countReply counts a server packet that is an error (0xff, then the
// error number).
func countReply(_ byte, head []byte) {
	if len(head) < 3 || head[0] != 0xff {
		return
	}
	w := &wireCounts
	w.errors.Add(1)
	switch int(head[1]) | int(head[2])<<8 {
	case 1213:
		w.deadlocks.Add(1)
	case 1205:
		w.lockWaits.Add(1)
	}
}

// countingConn passes a connection's bytes through two packet readers.
type countingConn struct {
	net.Conn
	sent, received packetReader
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.feed(b[:n])
	return n, err
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.received.feed(b[:n])
	return n, err
}

// packetReader follows the MySQL packets of a byte stream (a 3-byte length,
// a sequence number, the payload) and hands onPacket the sequence number
// and the payload's first bytes.
type packetReader struct {
	onPacket func(seq byte, head []byte)
	header   [4]byte
	have     int    // bytes of the header read
	left     int    // payload bytes still to come
	head     []byte // the payload's first bytes, up to headBytes
	skipped  bool   // whether the payload's start was already handed on
}

// headBytes is how much of a payload onPacket sees: enough for a command
// word or an error number.
const headBytes = 16

func (p *packetReader) feed(b []byte) {
	for len(b) > 0 {
		if p.have < 4 {
			k := copy(p.header[p.have:], b)
			p.have += k
			b = b[k:]
			if p.have < 4 {
				return
			}
			p.left = int(p.header[0]) | int(p.header[1])<<8 | int(p.header[2])<<16
			p.head, p.skipped = p.head[:0], false
			if p.left == 0 {
				p.emit()
				continue
			}
		}
		k := min(p.left, len(b))
		if want := headBytes - len(p.head); want > 0 {
			p.head = append(p.head, b[:min(k, want)]...)
		}
		p.left -= k
		b = b[k:]
		if p.left == 0 || (len(p.head) == headBytes && !p.skipped) {
			if p.left == 0 {
				p.emit()
			} else {
				p.onPacket(p.header[3], p.head)
				p.skipped = true
			}
		}
	}
}

// emit hands on a finished packet (unless its start was handed on already)
// and waits for the next header.
func (p *packetReader) emit() {
	if !p.skipped {
		p.onPacket(p.header[3], p.head)
	}
	p.have = 0
}
