package main

import (
	"fmt"
	"os"
	"syscall"
)

// deviceOpenFlags keeps a serial port from becoming the controlling
// terminal of the bridge.
const deviceOpenFlags = syscall.O_NOCTTY

// lockFile takes an exclusive lock on f without waiting.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int), as encoded on x86 and ARM.
const eviocgrab = 0x40044590

// grabInput takes an input device for the bridge alone, so that the codes
// the scanner "types" do not also reach the console's login prompt.
func grabInput(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, eviocgrab, 1)
	}); err != nil {
		return err
	}
	if errno != 0 {
		return fmt.Errorf("EVIOCGRAB: %w", errno)
	}
	return nil
}
