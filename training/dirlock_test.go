package training_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/training"
)

// TestLockDir: a second lock on a directory is refused naming the holder,
// also from another process (flock is per open file, so a second open in
// this process is refused as well); after release it can be taken again.
func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	release, err := training.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = training.LockDir(dir)
	if !errors.Is(err, training.ErrLocked) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second lock: %v, want ErrLocked naming %s and the holder", err, dir)
	}
	if flockBin, err := exec.LookPath("flock"); err == nil {
		// util-linux flock(1) -n fails (exit 1) while the lock is held.
		if err := exec.Command(flockBin, "-n", filepath.Join(dir, training.LockFile), "true").Run(); err == nil {
			t.Error("another process took the lock")
		}
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	release, err = training.LockDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release()
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{".last.safetensors.tmp-123", ".model.safetensors.tmp-9", "model.safetensors", ".zoo.lock", "history.csv"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := training.RemoveStaleTemps(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(removed, " ") != ".last.safetensors.tmp-123 .model.safetensors.tmp-9" {
		t.Fatalf("removed %v", removed)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != ".zoo.lock history.csv model.safetensors" {
		t.Fatalf("left %v", left)
	}
}
