package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runZoo calls run as main would and returns the exit code and outputs.
func runZoo(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string // substrings of stderr
	}{
		{"no args", nil, exitUsage, []string{"no subcommand", "usage: zoo"}},
		{"unknown", []string{"frobnicate"}, exitUsage, []string{`unknown subcommand "frobnicate"`, "data"}},
		{"help", []string{"help"}, exitOK, []string{"Subcommands:", "data", dataSynopsis, "help"}},
		{"-h", []string{"-h"}, exitOK, []string{"Subcommands:", "data"}},
		{"--help", []string{"--help"}, exitOK, []string{"Subcommands:"}},
		{"help data", []string{"help", "data"}, exitOK, []string{"usage: zoo data", "-val-frac", "-split", "-seed", "-data"}},
		{"help unknown", []string{"help", "nope"}, exitUsage, []string{`unknown subcommand "nope"`}},
		{"data -h", []string{"data", "-h"}, exitOK, []string{"usage: zoo data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Fatalf("stdout must hold only results, got %q", stdout)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

func TestCommandsRegistered(t *testing.T) {
	if _, ok := commands["data"]; !ok {
		t.Fatal("data subcommand not registered")
	}
	for name, c := range commands {
		if c.name != name || c.synopsis == "" || c.run == nil {
			t.Errorf("bad registration %q: %+v", name, c)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering data twice did not panic")
			}
		}()
		register(command{name: "data", synopsis: "again", run: runData})
	}()
}

// TestBinaryStarts builds the real zoo binary, which links Gorgonia (see
// deps.go), and runs it. A binary with the go4.org/unsafe/assume-no-moving-gc
// versions that predate Go 1.26 panics before main; this one must print its
// help, exit 0, and run a subcommand end to end.
func TestBinaryStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		if goCmd, err = exec.LookPath("go"); err != nil {
			t.Skip("go command not found")
		}
	}
	bin := filepath.Join(t.TempDir(), "zoo")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Subcommands:") {
		t.Fatalf("zoo help: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "data", "--data", filepath.Join("..", "..", "testdata", "mnist"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("zoo data: %v\n%s", err, stderr.String())
	}
	if r := decodeReport(t, stdout.String()); r.Counts.Train+r.Counts.Val != 500 {
		t.Fatalf("zoo data counts %+v", r.Counts)
	}
	err = exec.Command(bin, "bogus").Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitUsage {
		t.Fatalf("zoo bogus: %v, want exit status 2", err)
	}
}
