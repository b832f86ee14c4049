// Package fileio writes a file whose content comes from a function, so that
// no caller forgets the error of Close (which is where a full disk shows up
// for buffered writes).
package fileio

import (
	"io"
	"os"

	"github.com/pkg/errors"
)

// Write creates path (truncating an existing file), calls write with it and
// closes it. The error of write comes first; a Close error is returned when
// write succeeded. Errors name path.
func Write(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "create")
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = errors.Wrapf(cerr, "close %s", path)
		}
	}()
	return errors.WithMessage(write(f), path)
}
