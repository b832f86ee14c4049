package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  string
)

// zooBinary builds the zoo binary once per test run (into fixtureDir).
func zooBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	binOnce.Do(func() {
		goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goCmd); err != nil {
			if goCmd, err = exec.LookPath("go"); err != nil {
				binErr = "go command not found"
				return
			}
		}
		binPath = filepath.Join(fixtureDir, "zoo")
		if out, err := exec.Command(goCmd, "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = "go build: " + err.Error() + "\n" + string(out)
		}
	})
	if binErr != "" {
		t.Fatal(binErr)
	}
	return binPath
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// blockedInOpen reports whether a thread of process pid waits in the
// kernel for a FIFO's writer (or sits in openat), read from /proc.
func blockedInOpen(pid int) bool {
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*"))
	for _, task := range tasks {
		wchan, _ := os.ReadFile(filepath.Join(task, "wchan"))
		sc, _ := os.ReadFile(filepath.Join(task, "syscall"))
		if strings.Contains(string(wchan), "partner") || strings.HasPrefix(string(sc), "257 ") {
			return true
		}
	}
	return false
}

// TestSignalsEndLongCommands runs each long command of the built binary,
// waits until it is inside its long loop (a line on stderr, or a thread
// blocked opening a FIFO), sends SIGINT or SIGTERM, and requires the
// documented exit status 1 within 30 s (a generous bound, so that a loaded
// machine cannot make the test flaky; the delays it logs are typically
// well under a second).
func TestSignalsEndLongCommands(t *testing.T) {
	bin := zooBinary(t)
	tr := trainFixture(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "never.fifo")
	must(t, syscall.Mkfifo(fifo, 0o600))
	cases := []struct {
		name   string
		args   []string
		marker string // stderr line that shows the long phase began; "" for the FIFO
		after  string // stderr after the signal
	}{
		{"train", []string{"train", "mlp", "--data", subsetDir, "--train-limit", "300", "--batch", "50", "--epochs", "100000", "--out", filepath.Join(dir, "train")}, "writing to", "cancelled"},
		{"eval --mc-samples", []string{"eval", tr.Checkpoint, "--data", subsetDir, "--mc-samples", "1000000"}, "loaded MNIST", "context canceled"},
		{"experiment", []string{"experiment", "caruana", "--out", filepath.Join(dir, "exp")}, "polynomial order", "cancelled"},
		{"prune", []string{"prune", tr.Checkpoint, "--criterion", "magnitude", "--sparsity", "0.99", "--steps", "1000", "--data", subsetDir, "--out", filepath.Join(dir, "prune")}, "round 2/1000", "holds the model, mask and report"},
		{"eval of a FIFO without writer", []string{"eval", fifo}, "", "cancelled while reading the input"},
	}
	for _, c := range cases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(c.name+"/"+sig.String(), func(t *testing.T) {
				var stdout, stderr syncBuffer
				cmd := exec.Command(bin, c.args...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				must(t, cmd.Start())
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				ready := time.Now().Add(60 * time.Second)
				for {
					if c.marker != "" && strings.Contains(stderr.String(), c.marker) || c.marker == "" && blockedInOpen(cmd.Process.Pid) {
						break
					}
					select {
					case err := <-done:
						t.Fatalf("exited before the signal: %v\n%s", err, stderr.String())
					case <-time.After(20 * time.Millisecond):
					}
					if time.Now().After(ready) {
						cmd.Process.Kill()
						t.Fatalf("no %q on stderr after 60 s:\n%s", c.marker, stderr.String())
					}
				}
				sent := time.Now()
				must(t, cmd.Process.Signal(sig))
				var err error
				select {
				case err = <-done:
				case <-time.After(30 * time.Second):
					cmd.Process.Kill()
					t.Fatalf("still running 30 s after %v", sig)
				}
				delay := time.Since(sent)
				var exitErr *exec.ExitError
				if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitFailure {
					t.Fatalf("after %v: %v, want exit status 1\n%s", sig, err, stderr.String())
				}
				if !strings.Contains(stderr.String(), c.after) {
					t.Errorf("stderr lacks %q:\n%s", c.after, stderr.String())
				}
				t.Logf("exit 1 %v after %v", delay.Round(time.Millisecond), sig)
			})
		}
	}
}
