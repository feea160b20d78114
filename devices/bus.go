package devices

// Message is one MQTT message delivered to a subscriber.
type Message struct {
	Topic   string
	Payload []byte
	// Done acknowledges the message to the broker once it is processed; nil
	// when the bus acknowledges by itself.
	Done func()
	// Retained is set when the broker delivers a message it kept, not one
	// just published.
	Retained bool
}

// Bus is a connection to an MQTT broker, the embedded one or an external
// one: what the hub needs to receive scans and answer them.
type Bus interface {
	// Subscribe delivers the messages matching filter to handler. The
	// handler must return quickly: it may run on a broker goroutine.
	Subscribe(filter string, handler func(Message)) error
	// Unsubscribe stops the deliveries of Subscribe(filter): on a shared
	// subscription, the broker hands the messages to the other members.
	Unsubscribe(filter string) error
	// Publish sends a QoS 1 message.
	Publish(topic string, payload []byte, retain bool) error
}

// IgnoreRetainedScans returns bus with one difference: a retained message
// on a scan topic under topics is acknowledged, cleared on the broker and
// not delivered, and neither is the empty message that clears it. A scan
// must be applied once, when it is sent; a broker that kept one would hand
// it over again at every subscription.
func IgnoreRetainedScans(bus Bus, topics Topics) Bus {
	return retainedScanFilter{Bus: bus, topics: topics}
}

type retainedScanFilter struct {
	Bus
	topics Topics
}

func (b retainedScanFilter) Subscribe(filter string, handler func(Message)) error {
	return b.Bus.Subscribe(filter, func(m Message) {
		if _, scan := b.topics.DeviceOfScan(m.Topic); !scan || (!m.Retained && len(m.Payload) > 0) {
			handler(m)
			return
		}
		if m.Retained && len(m.Payload) > 0 {
			// Not on the bus's own goroutine, which must go on reading the
			// broker's answer to it.
			go func() { _ = b.Bus.Publish(m.Topic, nil, true) }()
		}
		if m.Done != nil {
			m.Done()
		}
	})
}
