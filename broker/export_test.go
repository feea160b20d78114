package broker

import "time"

// SetTrim replaces how the broker trims its memory after a burst of
// connections, and how long without one ends a burst.
func (b *Broker) SetTrim(quiet time.Duration, trim func()) {
	b.auth.trimmer.mu.Lock()
	defer b.auth.trimmer.mu.Unlock()
	b.auth.trimmer.quiet, b.auth.trimmer.trim = quiet, trim
}
