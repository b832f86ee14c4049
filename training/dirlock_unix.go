//go:build unix

package training

import (
	"os"
	"syscall"

	"github.com/pkg/errors"
)

var errWouldBlock = syscall.EWOULDBLOCK

// flock takes an exclusive, non-blocking flock(2) on f.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return errors.WithStack(err)
		}
	}
}
