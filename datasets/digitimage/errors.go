package digitimage

import (
	"fmt"

	"github.com/pkg/errors"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers can test the kind with errors.Is while the message carries the
// details.
var (
	// ErrFormat: the content is neither a PNG nor a JPEG.
	ErrFormat = errors.New("digitimage: not a PNG or JPEG picture")
	// ErrCorrupt: the header or the pixel data cannot be decoded.
	ErrCorrupt = errors.New("digitimage: corrupt picture")
	// ErrTooLarge: the header claims more pixels than Options.MaxPixels, or
	// the file is larger than Options.MaxBytes.
	ErrTooLarge = errors.New("digitimage: picture too large")
	// ErrSize: Raw was given a picture that is not 28×28.
	ErrSize = errors.New("digitimage: wrong picture size")
	// ErrBlank: the picture has no ink (every pixel has the background level).
	ErrBlank = errors.New("digitimage: no ink in picture")
	// ErrConfig: an Options value is invalid.
	ErrConfig = errors.New("digitimage: invalid options")
)

// errorf returns an error of the given kind with a formatted detail: its
// message is "<kind>: <detail>" and errors.Is(err, kind) reports true.
func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}
