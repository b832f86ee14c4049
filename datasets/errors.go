package datasets

import (
	"fmt"

	"github.com/pkg/errors"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers can test the kind with errors.Is while the message carries the
// details ("datasets: idx: truncated data: header claims 784 bytes, 10 present").
var (
	// ErrIDXMagic: the first four bytes are not a valid IDX magic number.
	ErrIDXMagic = errors.New("datasets: idx: bad magic number")
	// ErrIDXType: the element type code is unknown or not supported here.
	ErrIDXType = errors.New("datasets: idx: unsupported element type")
	// ErrIDXDims: the number of dimensions or a dimension size is invalid.
	ErrIDXDims = errors.New("datasets: idx: bad dimensions")
	// ErrIDXTooLarge: the header claims more data than the configured maximum.
	ErrIDXTooLarge = errors.New("datasets: idx: data too large")
	// ErrIDXTruncated: the input ends before the header or the data is complete.
	ErrIDXTruncated = errors.New("datasets: idx: truncated")
	// ErrIDXTrailing: there are bytes after the data the header describes.
	ErrIDXTrailing = errors.New("datasets: idx: trailing data")
	// ErrIDXCompression: the gzip stream is corrupt.
	ErrIDXCompression = errors.New("datasets: idx: corrupt gzip stream")
	// ErrLabelRange: a label is outside [0, number of classes).
	ErrLabelRange = errors.New("datasets: label out of range")
	// ErrCountMismatch: image and label files hold different numbers of items.
	ErrCountMismatch = errors.New("datasets: image/label count mismatch")
	// ErrShape: a Dataset's slices disagree with its Shape or with each other.
	ErrShape = errors.New("datasets: inconsistent dataset shape")
	// ErrEmpty: an operation needs at least one sample.
	ErrEmpty = errors.New("datasets: empty dataset")
	// ErrConfig: a configuration value or argument is invalid.
	ErrConfig = errors.New("datasets: invalid configuration")
	// ErrNotFound: a data file is missing. See *MissingFileError.
	ErrNotFound = errors.New("datasets: data file not found")
	// ErrChecksum: a data file does not match the original. See *ChecksumError.
	ErrChecksum = errors.New("datasets: checksum mismatch")
	// ErrNotFitted: a Standardizer was applied before Fit.
	ErrNotFitted = errors.New("datasets: standardizer not fitted")
)

// detailError attaches a detail to a sentinel. Its message is
// "<sentinel>: <detail>" and errors.Is(err, sentinel) reports true.
type detailError struct {
	kind   error
	detail string
}

func (e *detailError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.kind }

// errorf returns an error of the given kind with a formatted detail.
func errorf(kind error, format string, args ...any) error {
	return &detailError{kind: kind, detail: fmt.Sprintf(format, args...)}
}

// MissingFileError reports a data file that could not be found or opened.
// Fix is a shell command (or instruction) that makes the file available.
type MissingFileError struct {
	File string // base name, e.g. "train-images-idx3-ubyte"
	Dir  string // directory that was searched
	Fix  string // what to run to fix it
	Err  error  // underlying cause, may be nil
}

func (e *MissingFileError) Error() string {
	msg := fmt.Sprintf("datasets: data file not found: %s[.gz] in %s", e.File, e.Dir)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Fix != "" {
		msg += "; to fix, run: " + e.Fix
	}
	return msg
}

// Is reports whether target is ErrNotFound.
func (e *MissingFileError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the underlying cause.
func (e *MissingFileError) Unwrap() error { return e.Err }

// ChecksumError reports a data file whose MD5 differs from the original's.
type ChecksumError struct {
	Path     string // file that was read
	Got      string // md5 of the file as read, hex
	Expected string // md5 of the original, hex
	Fix      string // what to run to fix it
}

func (e *ChecksumError) Error() string {
	msg := fmt.Sprintf("datasets: checksum mismatch: %s has md5 %s, the original has %s", e.Path, e.Got, e.Expected)
	if e.Fix != "" {
		msg += "; to fix, run: " + e.Fix
	}
	return msg
}

// Is reports whether target is ErrChecksum.
func (e *ChecksumError) Is(target error) bool { return target == ErrChecksum }
