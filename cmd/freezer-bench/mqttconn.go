package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// mqttConn is a simulated scanner's MQTT 3.1.1 connection, as small as a
// scanner's own client: one goroutine writes a scan and reads until its
// ack. A general client library hands each message through several
// goroutines of its own, whose CPU and scheduling delays, on the machine
// that also runs the system under measurement, would be measured as the
// system's.
type mqttConn struct {
	conn   net.Conn
	r      *bufio.Reader
	buf    bytes.Buffer
	nextID uint16
}

// dialMQTT connects as clientID with a clean session and waits for the CONNACK.
func dialMQTT(addr, clientID, password string) (*mqttConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	c := &mqttConn{conn: conn, r: bufio.NewReader(conn)}
	connect := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, ClientIdentifier: clientID,
			UsernameFlag: true, Username: []byte(clientID), PasswordFlag: true, Password: []byte(password)}}
	if err := c.write(&connect, connect.ConnectEncode); err != nil {
		conn.Close()
		return nil, err
	}
	pk, err := c.read(30 * time.Second)
	if err == nil && (pk.FixedHeader.Type != packets.Connack || pk.ReasonCode != 0) {
		err = fmt.Errorf("connack: type %d, code %d", pk.FixedHeader.Type, pk.ReasonCode)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect %s: %w", clientID, err)
	}
	return c, nil
}

// subscribe subscribes to filter at QoS 1 and waits for the SUBACK.
func (c *mqttConn) subscribe(filter string) error {
	sub := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 4,
		PacketID: c.packetID(), Filters: packets.Subscriptions{{Filter: filter, Qos: 1}}}
	if err := c.write(&sub, sub.SubscribeEncode); err != nil {
		return err
	}
	pk, err := c.read(30 * time.Second)
	if err == nil && (pk.FixedHeader.Type != packets.Suback || len(pk.ReasonCodes) != 1 || pk.ReasonCodes[0] > 2) {
		err = fmt.Errorf("suback: type %d, codes %v", pk.FixedHeader.Type, pk.ReasonCodes)
	}
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", filter, err)
	}
	return nil
}

// publish sends payload to topic at QoS 1; the broker's PUBACK arrives
// among the packets that nextPublish reads.
func (c *mqttConn) publish(topic string, payload []byte) error {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, ProtocolVersion: 4,
		TopicName: topic, PacketID: c.packetID(), Payload: payload}
	return c.write(&pk, pk.PublishEncode)
}

// nextPublish reads until a PUBLISH arrives, answers it with a PUBACK when
// it is at QoS 1, and returns its payload.
func (c *mqttConn) nextPublish(timeout time.Duration) ([]byte, error) {
	for {
		pk, err := c.read(timeout)
		if err != nil {
			return nil, err
		}
		if pk.FixedHeader.Type != packets.Publish {
			continue
		}
		if pk.FixedHeader.Qos > 0 {
			ack := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, ProtocolVersion: 4, PacketID: pk.PacketID}
			if err := c.write(&ack, ack.PubackEncode); err != nil {
				return nil, err
			}
		}
		return pk.Payload, nil
	}
}

// close sends a DISCONNECT and closes the connection.
func (c *mqttConn) close() {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}, ProtocolVersion: 4}
	_ = c.write(&pk, pk.DisconnectEncode)
	c.conn.Close()
}

func (c *mqttConn) packetID() uint16 {
	c.nextID++
	if c.nextID == 0 {
		c.nextID = 1
	}
	return c.nextID
}

func (c *mqttConn) write(pk *packets.Packet, encode func(*bytes.Buffer) error) error {
	c.buf.Reset()
	if err := encode(&c.buf); err != nil {
		return fmt.Errorf("encode packet type %d: %w", pk.FixedHeader.Type, err)
	}
	_, err := c.conn.Write(c.buf.Bytes())
	return err
}

// read reads one packet; the packet types a scanner receives are decoded.
func (c *mqttConn) read(timeout time.Duration) (packets.Packet, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return packets.Packet{}, err
	}
	first, err := c.r.ReadByte()
	if err != nil {
		return packets.Packet{}, err
	}
	pk := packets.Packet{ProtocolVersion: 4}
	if err := pk.FixedHeader.Decode(first); err != nil {
		return pk, err
	}
	length, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = length
	body := make([]byte, length)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return pk, err
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Disconnect:
		err = errors.New("disconnected by the broker")
	}
	return pk, err
}
