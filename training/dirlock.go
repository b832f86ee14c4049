package training

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// ErrLocked is returned by LockDir when another process holds the lock.
var ErrLocked = errors.New("training: output directory is in use")

// LockFile is the name of the lock file LockDir keeps in a directory.
const LockFile = ".zoo.lock"

// LockDir creates dir if needed and takes an exclusive lock on it, so
// that two runs cannot write into one output directory. The lock is an
// advisory flock(2) on dir/.zoo.lock, which records the holder (process
// id, host, start time and command line); the kernel drops it when the
// process ends, however it ends, so a killed run never leaves a stale lock.
// A second LockDir on dir fails with ErrLocked and a message naming the
// holder. release unlocks and keeps the file.
func LockDir(dir string) (release func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "training: lock")
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "training: lock")
	}
	if err := flock(f); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close() // the lock was not taken; nothing to keep
		if errors.Is(err, errWouldBlock) {
			return nil, errors.WithMessagef(ErrLocked, "%s is locked by %s", dir, strings.TrimSpace(string(holder)))
		}
		return nil, errors.Wrapf(err, "training: lock %s", path)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s since %s (%s)\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), strings.Join(os.Args, " "))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info), 0) // the lock holds without the note
	}
	return func() error {
		return errors.Wrap(f.Close(), "training: unlock") // closing drops the flock
	}, nil
}

// RemoveStaleTemps removes the temporary files that an interrupted atomic
// write (SaveCheckpoint's ".NAME.tmp-*") left in dir and returns their
// names. Call it while holding dir's lock: then no write is in progress.
func RemoveStaleTemps(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		return nil, errors.Wrap(err, "training: stale temporary files")
	}
	var removed []string
	for _, m := range matches {
		if st, err := os.Lstat(m); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(m); err != nil {
			return removed, errors.Wrap(err, "training: stale temporary files")
		}
		removed = append(removed, filepath.Base(m))
	}
	return removed, nil
}
