package main

import (
	"encoding/binary"
	"io"
	"strconv"
)

// A Linux input_event is a struct timeval (two C longs), then type (u16),
// code (u16) and value (s32): 24 bytes for a 64-bit process, 16 for a
// 32-bit one (a 32-bit process on a 64-bit kernel gets the 32-bit layout).
const eventSize = 2*strconv.IntSize/8 + 8

// Event types, key codes and key values of linux/input-event-codes.h.
const (
	evKey = 0x01

	keyTab        = 15
	keyEnter      = 28
	keyLeftShift  = 42
	keyRightShift = 54
	keyCapsLock   = 58
	keyKPEnter    = 96

	keyUp   = 0
	keyDown = 1 // 2 is autorepeat: ignored, a scanner does not hold keys
)

// keymap gives the character of a key without and with shift, on the US
// layout that keyboard-emulating scanners use.
var keymap = func() map[uint16][2]byte {
	m := map[uint16][2]byte{
		2: {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
		7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
		12: {'-', '_'}, 13: {'=', '+'}, 26: {'[', '{'}, 27: {']', '}'},
		39: {';', ':'}, 40: {'\'', '"'}, 41: {'`', '~'}, 43: {'\\', '|'},
		51: {',', '<'}, 52: {'.', '>'}, 53: {'/', '?'}, 57: {' ', ' '},
		// The keypad.
		55: {'*', '*'}, 71: {'7', '7'}, 72: {'8', '8'}, 73: {'9', '9'}, 74: {'-', '-'},
		75: {'4', '4'}, 76: {'5', '5'}, 77: {'6', '6'}, 78: {'+', '+'}, 79: {'1', '1'},
		80: {'2', '2'}, 81: {'3', '3'}, 82: {'0', '0'}, 83: {'.', '.'}, 98: {'/', '/'},
	}
	for first, row := range map[uint16]string{16: "qwertyuiop", 30: "asdfghjkl", 44: "zxcvbnm"} {
		for i := 0; i < len(row); i++ {
			m[first+uint16(i)] = [2]byte{row[i], row[i] - 'a' + 'A'}
		}
	}
	return m
}()

// keyboard turns key events into text: one line per code, ended by Enter.
type keyboard struct {
	leftShift, rightShift, capsLock bool
}

// event appends what one input event types to out.
func (k *keyboard) event(typ, code uint16, value int32, out []byte) []byte {
	if typ != evKey {
		return out // EV_SYN, EV_MSC (scan codes) and LEDs say nothing new
	}
	switch code {
	case keyLeftShift:
		k.leftShift = value != keyUp
		return out
	case keyRightShift:
		k.rightShift = value != keyUp
		return out
	}
	if value != keyDown {
		return out
	}
	switch code {
	case keyCapsLock:
		k.capsLock = !k.capsLock
		return out
	case keyEnter, keyKPEnter, keyTab:
		return append(out, '\n')
	}
	chars, ok := keymap[code]
	if !ok {
		return out // a key no code uses
	}
	shift := k.leftShift || k.rightShift
	if c := chars[0]; c >= 'a' && c <= 'z' && k.capsLock {
		shift = !shift
	}
	if shift {
		return append(out, chars[1])
	}
	return append(out, chars[0])
}

// evdevReader reads a Linux input device (/dev/input/eventN) and returns
// the codes typed on it as text, one line each.
type evdevReader struct {
	r       io.Reader
	size    int    // bytes per event
	chunk   []byte // read buffer
	pending []byte // a partial event
	text    []byte // decoded, not yet returned
	err     error  // the reader's error, returned once the text is out
	kb      keyboard
}

// newEvdevReader decodes events of size bytes (eventSize for this process).
func newEvdevReader(r io.Reader, size int) *evdevReader {
	return &evdevReader{r: r, size: size, chunk: make([]byte, 64*size)}
}

// Read returns decoded text; it returns the underlying reader's error once
// every complete event before it is decoded.
func (e *evdevReader) Read(p []byte) (int, error) {
	for len(e.text) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		n, err := e.r.Read(e.chunk)
		e.pending = append(e.pending, e.chunk[:n]...)
		done := 0
		for ; len(e.pending)-done >= e.size; done += e.size {
			typ, code, value := decodeEvent(e.pending[done : done+e.size])
			e.text = e.kb.event(typ, code, value, e.text)
		}
		e.pending = e.pending[:copy(e.pending, e.pending[done:])]
		e.err = err
	}
	n := copy(p, e.text)
	e.text = e.text[:copy(e.text, e.text[n:])]
	return n, nil
}

// decodeEvent reads type, code and value from the end of one event, which
// is the same whatever the size of its time stamp.
func decodeEvent(b []byte) (typ, code uint16, value int32) {
	tail := b[len(b)-8:]
	return binary.NativeEndian.Uint16(tail), binary.NativeEndian.Uint16(tail[2:]), int32(binary.NativeEndian.Uint32(tail[4:]))
}
