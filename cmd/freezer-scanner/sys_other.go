//go:build !linux

package main

import (
	"errors"
	"os"
)

const deviceOpenFlags = 0

// lockFile does nothing here: only Linux locks the state.
func lockFile(*os.File) error { return nil }

// grabInput is Linux-only: evdev exists nowhere else.
func grabInput(*os.File) error { return errors.New("evdev input needs Linux") }
