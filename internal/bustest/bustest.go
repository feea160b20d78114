// Package bustest is an in-memory devices.Bus for tests: it records what is
// published and delivers messages to subscribers on demand, as a broker
// would. It imports the root package and devices only.
package bustest

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/freezer-manager/freezer/devices"
)

// Msg is one message published on a Bus.
type Msg struct {
	Topic   string
	Payload string
	Retain  bool
}

// Bus is an in-memory devices.Bus; its zero value is ready to use.
type Bus struct {
	mu   sync.Mutex
	msgs []Msg
	subs []sub
	fail error
}

type sub struct {
	filter  string
	handler func(devices.Message)
}

// Subscribe records handler for the messages Deliver hands to filter.
func (b *Bus) Subscribe(filter string, handler func(devices.Message)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, sub{filter, handler})
	return nil
}

// Unsubscribe forgets every handler of filter.
func (b *Bus) Unsubscribe(filter string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = slices.DeleteFunc(b.subs, func(s sub) bool { return s.filter == filter })
	return nil
}

// Publish records a message, or returns the error set by Fail.
func (b *Bus) Publish(topic string, payload []byte, retain bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.msgs = append(b.msgs, Msg{topic, string(payload), retain})
	return nil
}

// Fail makes every Publish return err from now on; nil publishes again.
func (b *Bus) Fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = err
}

// Deliver hands a message to the matching subscribers, as a broker would.
func (b *Bus) Deliver(topic, payload string) {
	b.mu.Lock()
	var handlers []func(devices.Message)
	for _, s := range b.subs {
		if Match(s.filter, topic) {
			handlers = append(handlers, s.handler)
		}
	}
	b.mu.Unlock()
	for _, h := range handlers {
		h(devices.Message{Topic: topic, Payload: []byte(payload)})
	}
}

// Subscribed reports whether filter has a subscriber.
func (b *Bus) Subscribed(filter string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.ContainsFunc(b.subs, func(s sub) bool { return s.filter == filter })
}

// On returns the payloads published on topic, in order.
func (b *Bus) On(topic string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []string
	for _, m := range b.msgs {
		if m.Topic == topic {
			list = append(list, m.Payload)
		}
	}
	return list
}

// Matching returns the messages whose topic matches filter, in order.
func (b *Bus) Matching(filter string) []Msg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []Msg
	for _, m := range b.msgs {
		if Match(filter, m.Topic) {
			list = append(list, m)
		}
	}
	return list
}

// Retained returns what a subscriber arriving now would get: the last
// retained payload of each topic, empty payloads deleting.
func (b *Bus) Retained() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := map[string]string{}
	for _, msg := range b.msgs {
		if !msg.Retain {
			continue
		}
		if msg.Payload == "" {
			delete(m, msg.Topic)
		} else {
			m[msg.Topic] = msg.Payload
		}
	}
	return m
}

// Match reports whether topic matches filter, with MQTT's + and # wildcards.
func Match(filter, topic string) bool {
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, level := range f {
		if level == "#" {
			return true
		}
		if i >= len(t) || (level != "+" && level != t[i]) {
			return false
		}
	}
	return len(f) == len(t)
}

// Decode reads a JSON object payload, failing the test when it is not one.
func Decode(tb testing.TB, payload string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		tb.Fatalf("payload %q is not a JSON object: %v", payload, err)
	}
	return m
}
