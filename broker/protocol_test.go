package broker_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// MQTT control packet types (the high nibble of a packet's first byte).
const (
	pktConnack  = 2
	pktPublish  = 3
	pktPuback   = 4
	pktSuback   = 9
	pktPingresp = 13
	pktDisconn  = 14
)

// notAuthorized is the MQTT 5 reason code 0x87 (135) of a PUBACK or a SUBACK
// entry refused by the ACL.
const notAuthorized = 0x87

// packet is one control packet read from the broker.
type packet struct {
	kind  byte   // the packet type
	flags byte   // the low nibble of the first byte
	body  []byte // the variable header and payload
}

// rawClient speaks MQTT 3.1.1 (protocol level 4) or 5 over one TCP
// connection, packet by packet, so that a test sees exactly what the broker
// answers: paho.mqtt.golang speaks 3.1.1 only, and hides a missing PUBACK
// behind a token that never completes.
type rawClient struct {
	t       *testing.T
	version byte
	conn    net.Conn
	packets chan packet // closed when the connection ends
	nextID  uint16
}

// appendString appends an MQTT UTF-8 string (or binary data): a 2-byte length, then the bytes.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// appendVarint appends an MQTT variable byte integer.
func appendVarint(b []byte, n int) []byte {
	for {
		c := byte(n % 128)
		n /= 128
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

// readVarint reads an MQTT variable byte integer from b, returning it and the bytes it took.
func readVarint(b []byte) (n, size int, err error) {
	for i, mult := 0, 1; i < 4 && i < len(b); i, mult = i+1, mult*128 {
		n += int(b[i]&0x7f) * mult
		if b[i]&0x80 == 0 {
			return n, i + 1, nil
		}
	}
	return 0, 0, errors.New("bad variable byte integer")
}

// dialRaw connects with protocol level version (4 or 5) and returns the
// client once the broker accepted it.
func dialRaw(t *testing.T, addr string, version byte, clientID, password string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, version: version, conn: conn, packets: make(chan packet, 64)}
	t.Cleanup(func() { conn.Close() })
	go c.readLoop()

	vh := appendString(nil, "MQTT")
	vh = append(vh, version, 0x80|0x40|0x02) // username, password, clean start
	vh = binary.BigEndian.AppendUint16(vh, 30)
	vh = c.appendProperties(vh)
	vh = appendString(vh, clientID)
	vh = appendString(vh, clientID) // username = device id
	vh = appendString(vh, password)
	c.write(0x10, vh)

	p := c.expect(pktConnack)
	code := p.body[1]
	if code != 0 {
		t.Fatalf("MQTT %s connect refused: 0x%02x", c.name(), code)
	}
	return c
}

// name is the protocol's name for messages.
func (c *rawClient) name() string {
	if c.version == 5 {
		return "5"
	}
	return "3.1.1"
}

// appendProperties appends an empty property list, on MQTT 5 only.
func (c *rawClient) appendProperties(b []byte) []byte {
	if c.version == 5 {
		b = append(b, 0)
	}
	return b
}

func (c *rawClient) write(first byte, body []byte) {
	c.t.Helper()
	out := appendVarint([]byte{first}, len(body))
	if _, err := c.conn.Write(append(out, body...)); err != nil {
		c.t.Fatalf("write packet 0x%02x: %v", first, err)
	}
}

func (c *rawClient) readLoop() {
	defer close(c.packets)
	r := bufio.NewReader(c.conn)
	for {
		first, err := r.ReadByte()
		if err != nil {
			return
		}
		var n, mult int
		for i := 0; ; i++ {
			b, err := r.ReadByte()
			if err != nil || i == 4 {
				return
			}
			n += int(b&0x7f) * max(mult, 1)
			mult = max(mult, 1) * 128
			if b&0x80 == 0 {
				break
			}
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		c.packets <- packet{kind: first >> 4, flags: first & 0x0f, body: body}
	}
}

// next returns the next packet; it acknowledges a QoS 1 PUBLISH. ok is
// false when the connection ended, and the test fails after 10 s without
// either.
func (c *rawClient) next() (p packet, ok bool) {
	c.t.Helper()
	select {
	case p, ok := <-c.packets:
		if ok && p.kind == pktPublish {
			if _, _, id := c.parsePublish(p); id != 0 {
				c.write(pktPuback<<4, binary.BigEndian.AppendUint16(nil, id))
			}
		}
		return p, ok
	case <-time.After(10 * time.Second):
		c.t.Fatalf("MQTT %s: no packet from the broker within 10 s", c.name())
		return packet{}, false
	}
}

// expect returns the next packet, failing the test unless it is of kind.
func (c *rawClient) expect(kind byte) packet {
	c.t.Helper()
	p, ok := c.next()
	if !ok {
		c.t.Fatalf("MQTT %s: connection closed, want packet type %d", c.name(), kind)
	}
	if p.kind != kind {
		c.t.Fatalf("MQTT %s: packet type %d (% x), want %d", c.name(), p.kind, p.body, kind)
	}
	return p
}

// parsePublish returns a PUBLISH's topic, payload and packet id (0 at QoS 0).
func (c *rawClient) parsePublish(p packet) (topic string, payload []byte, id uint16) {
	c.t.Helper()
	b := p.body
	n := int(binary.BigEndian.Uint16(b))
	topic, b = string(b[2:2+n]), b[2+n:]
	if (p.flags>>1)&0x03 > 0 {
		id, b = binary.BigEndian.Uint16(b), b[2:]
	}
	if c.version == 5 {
		size, used, err := readVarint(b)
		if err != nil {
			c.t.Fatal(err)
		}
		b = b[used+size:]
	}
	return topic, b, id
}

// publish sends a PUBLISH at qos (0 or 1) and returns its packet id.
func (c *rawClient) publish(topic string, qos byte, payload []byte) uint16 {
	c.t.Helper()
	body := appendString(nil, topic)
	var id uint16
	if qos > 0 {
		c.nextID++
		id = c.nextID
		body = binary.BigEndian.AppendUint16(body, id)
	}
	body = c.appendProperties(body)
	c.write(0x30|qos<<1, append(body, payload...))
	return id
}

// pubackReason waits for the PUBACK of packet id and returns its reason
// code (MQTT 3.1.1 has none: 0); ok is false when the connection ended
// first, with or without a DISCONNECT packet (mochi sends one to 3.1.1
// clients too).
func (c *rawClient) pubackReason(id uint16) (reason byte, ok bool) {
	c.t.Helper()
	p, ok := c.next()
	if !ok {
		return 0, false
	}
	if p.kind == pktDisconn {
		c.closed()
		return 0, false
	}
	if p.kind != pktPuback || binary.BigEndian.Uint16(p.body) != id {
		c.t.Fatalf("MQTT %s: packet type %d (% x), want the PUBACK of %d", c.name(), p.kind, p.body, id)
	}
	if len(p.body) > 2 {
		reason = p.body[2]
	}
	return reason, true
}

// subscribe subscribes to filter at QoS 1 and returns the SUBACK's code.
func (c *rawClient) subscribe(filter string) byte {
	c.t.Helper()
	c.nextID++
	body := binary.BigEndian.AppendUint16(nil, c.nextID)
	body = c.appendProperties(body)
	body = append(appendString(body, filter), 1)
	c.write(0x82, body)
	p := c.expect(pktSuback)
	b := p.body[2:]
	if c.version == 5 {
		size, used, err := readVarint(b)
		if err != nil {
			c.t.Fatal(err)
		}
		b = b[used+size:]
	}
	if len(b) != 1 {
		c.t.Fatalf("SUBACK codes % x, want one", b)
	}
	return b[0]
}

// alive reports whether the connection still answers a PINGREQ.
func (c *rawClient) alive() bool {
	c.t.Helper()
	if _, err := c.conn.Write([]byte{0xc0, 0}); err != nil {
		return false
	}
	p, ok := c.next()
	if ok && p.kind != pktPingresp {
		c.t.Fatalf("MQTT %s: packet type %d, want PINGRESP", c.name(), p.kind)
	}
	return ok
}

// closed waits for the connection's end, failing the test if another packet comes first.
func (c *rawClient) closed() {
	c.t.Helper()
	if p, ok := c.next(); ok {
		c.t.Errorf("MQTT %s: packet type %d (% x), want the connection closed", c.name(), p.kind, p.body)
	}
}

// The ACL answers differ by protocol version, as docs/mqtt.md says: a QoS 1
// publish outside it gets no PUBACK and closes an MQTT 3.1.1 connection,
// and a PUBACK with reason 0x87 (135) on MQTT 5, which stays connected; a
// QoS 0 publish outside it is dropped on both; a refused subscription's
// SUBACK code is 0x80 on 3.1.1 and 0x87 on 5. On both versions a scanner
// scans and gets its ack.
func TestProtocolVersions(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			desc          string
			version       byte
			refusedSub    byte
			deniedPublish string // "closed" or a reason code
		}{
			{desc: "MQTT 3.1.1", version: 4, refusedSub: 0x80, deniedPublish: "closed"},
			{desc: "MQTT 5", version: 5, refusedSub: notAuthorized, deniedPublish: "reason 0x87"},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				p := e.product(t, int(tc.version))
				victim, _ := e.newDevice(t, nil)
				d, password := e.newDevice(t, nil)
				c := dialRaw(t, e.broker.TCPAddr(), tc.version, d.ID, password)

				if code := c.subscribe(topics.Ack(d.ID)); code != 1 {
					t.Errorf("subscribe own ack: SUBACK 0x%02x, want QoS 1", code)
				}
				for _, filter := range []string{topics.Ack(victim.ID), "freezer/v1/dev/+/ack", "#"} {
					if code := c.subscribe(filter); code != tc.refusedSub {
						t.Errorf("subscribe %s: SUBACK 0x%02x, want 0x%02x", filter, code, tc.refusedSub)
					}
				}

				// A scan as another device at QoS 0: dropped, connection kept.
				forged := fmt.Appendf(nil, `{"id":"forged-0","code":%q}`, freezer.ProductCode(p.ID))
				c.publish(topics.Scan(victim.ID), 0, forged)
				if !c.alive() {
					t.Fatal("connection closed after a denied QoS 0 publish")
				}

				// A scan at QoS 1: answered with a scan ack on both versions.
				own := fmt.Appendf(nil, `{"id":"own-1","code":%q}`, freezer.CommandCode(freezer.CommandOut))
				id := c.publish(topics.Scan(d.ID), 1, own)
				var ack *devices.Ack
				for acked := false; ack == nil || !acked; {
					p, ok := c.next()
					switch {
					case !ok:
						t.Fatal("connection closed before the scan's PUBACK and ack")
					case p.kind == pktPublish:
						var a devices.Ack
						topic, payload, _ := c.parsePublish(p)
						if err := json.Unmarshal(payload, &a); topic != topics.Ack(d.ID) || err != nil {
							t.Fatalf("received %s %q, want the scan's ack", topic, payload)
						}
						ack = &a
					case p.kind != pktPuback || binary.BigEndian.Uint16(p.body) != id || len(p.body) > 2 && p.body[2] != 0:
						t.Fatalf("packet type %d (% x), want a successful PUBACK of %d", p.kind, p.body, id)
					default:
						acked = true
					}
				}
				checkAck(t, "own scan", *ack, freezer.ScanOK, freezer.OpMode)

				// A scan as another device at QoS 1.
				id = c.publish(topics.Scan(victim.ID), 1, bytes.Replace(forged, []byte("forged-0"), []byte("forged-1"), 1))
				reason, ok := c.pubackReason(id)
				switch got := fmt.Sprintf("reason 0x%02x", reason); {
				case !ok && tc.deniedPublish != "closed":
					t.Errorf("denied QoS 1 publish: connection closed, want PUBACK %s", tc.deniedPublish)
				case ok && got != tc.deniedPublish:
					t.Errorf("denied QoS 1 publish: PUBACK %s, want %s", got, tc.deniedPublish)
				case ok && !c.alive():
					t.Error("connection closed after the PUBACK of a denied publish")
				}
				if got := e.events(t, victim.ID); got != 0 {
					t.Errorf("%d scan events for the other device", got)
				}
				if got := e.find(t, p.ID); !got.Inside() {
					t.Error("a denied scan took the product out")
				}
			})
		}
	})
}
