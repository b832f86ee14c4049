package main

import (
	"bytes"
	"context"
	"errors"
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

// TestDispatch pins the conventions of every exit path that does not run a
// job: help and version on stdout with exit 0; a usage error in at most a
// few lines of stderr, the error first, with a "did you mean" hint.
func TestDispatch(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of stdout
		stderr []string // substrings of stderr (the first one on the first line)
	}{
		{"no args", nil, exitUsage, nil, []string{"zoo: no subcommand", "zoo help"}},
		{"unknown", []string{"frobnicate"}, exitUsage, nil, []string{`unknown subcommand "frobnicate"`}},
		{"typo", []string{"trian"}, exitUsage, nil, []string{`unknown subcommand "trian" (did you mean "train"?)`}},
		{"flag first", []string{"--epochs", "3"}, exitUsage, nil, []string{`unknown flag (flags come after the subcommand) "--epochs"`}},
		{"help", []string{"help"}, exitOK, []string{"Subcommands:", "data", dataSynopsis, "help", "version", "Exit status:", "  2  usage error"}, nil},
		{"-h", []string{"-h"}, exitOK, []string{"Subcommands:", "data"}, nil},
		{"--help", []string{"--help"}, exitOK, []string{"Subcommands:"}, nil},
		{"help data", []string{"help", "data"}, exitOK, []string{"usage: zoo data", "-val-frac", "-split", "-seed", "-data", "Exit status"}, nil},
		{"help unknown", []string{"help", "nope"}, exitUsage, nil, []string{`unknown subcommand "nope"`}},
		{"help typo", []string{"help", "evl"}, exitUsage, nil, []string{`unknown subcommand "evl" (did you mean "eval"?)`}},
		{"data -h", []string{"data", "-h"}, exitOK, []string{"usage: zoo data"}, nil},
		{"data --help", []string{"data", "--help"}, exitOK, []string{"usage: zoo data"}, nil},
		{"--version", []string{"--version"}, exitOK, []string{"zoo ", runtime.Version()}, nil},
		{"version", []string{"version"}, exitOK, []string{"zoo ", runtime.Version()}, nil},
		{"version extra", []string{"version", "x"}, exitUsage, nil, []string{`unexpected argument "x"`}},
		{"flag typo", []string{"data", "--val-fraq", "0.1"}, exitUsage, nil, []string{"zoo data: unknown flag --val-fraq (did you mean --val-frac?)", "zoo data -h"}},
		{"bad value", []string{"data", "--seed", "x"}, exitUsage, nil, []string{`zoo data: bad value "x" for flag -seed`}},
		{"model typo", []string{"summary", "lenet"}, exitUsage, nil, []string{`unknown model "lenet" (did you mean "lenet5"?)`}},
		{"enum typo", []string{"graph", "mlp", "--mode", "evl"}, exitUsage, nil, []string{`--mode "evl" (did you mean "eval"?): want train or eval`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if tt.code != exitOK {
				if stdout != "" {
					t.Fatalf("stdout must hold only results, got %q", stdout)
				}
				if n := strings.Count(stderr, "\n"); n > 3 {
					t.Errorf("usage error of %d lines, want at most 3:\n%s", n, stderr)
				}
				if first, _, _ := strings.Cut(stderr, "\n"); !strings.Contains(first, tt.stderr[0]) {
					t.Errorf("first line %q lacks %q", first, tt.stderr[0])
				}
			} else if stderr != "" {
				t.Errorf("stderr on success: %q", stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
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
	bin := zooBinary(t)
	out, err := exec.Command(bin, "help").Output()
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
	if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.HasPrefix(string(out), "zoo ") || !strings.Contains(string(out), runtime.Version()) {
		t.Fatalf("zoo --version: %v %q", err, out)
	}
}
