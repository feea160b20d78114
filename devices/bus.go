package devices

// Message is one MQTT message delivered to a subscriber.
type Message struct {
	Topic   string
	Payload []byte
	// Done acknowledges the message to the broker once it is processed; nil
	// when the bus acknowledges by itself.
	Done func()
}

// Bus is a connection to an MQTT broker, the embedded one or an external
// one: what the hub needs to receive scans and answer them.
type Bus interface {
	// Subscribe delivers the messages matching filter to handler. The
	// handler must return quickly: it may run on a broker goroutine.
	Subscribe(filter string, handler func(Message)) error
	// Publish sends a QoS 1 message.
	Publish(topic string, payload []byte, retain bool) error
}
