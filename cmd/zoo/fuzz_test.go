package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fuzzCommands are the subcommands FuzzCommandLine may run: those that
// finish in milliseconds whatever their flags (train, data and experiment
// load MNIST or train, which is too slow for fuzzing).
var fuzzCommands = map[string]bool{"help": true, "version": true, "--help": true, "--version": true, "list": true, "summary": true, "graph": true, "sparsity": true, "eval": true, "predict": true}

var fuzzNumber = regexp.MustCompile(`[0-9]+`)

// FuzzCommandLine runs zoo with arbitrary arguments for the fast
// subcommands. It must not panic; it must exit 0, 1 or 2; a usage error
// (2) prints nothing on stdout and at most three lines on stderr, the first
// naming zoo; success prints a result on stdout. Arguments that name files
// by absolute path (devices, FIFOs) or numbers that make a large but valid
// model are skipped: the first can block by design (SIGINT ends them, see
// TestSignalsEndLongCommands), the second only cost time.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"help", "--version", "help train", "trian", "list --json", "summary mlp", "summary lenet --hidden 100000,100000",
		"graph mlp-bn --mode train --full --grad", "graph mlp --batch 1000000000", "graph mlp --mode evl",
		"sparsity missing.safetensors --bins 10000000000", "eval main.go", "predict x.safetensors", "summary mlp --norm btach",
		"summary mlp --hidden 8,8 --norm group --groups 3", "graph -- mlp", "summary mlp --l2 NaN", "list extra",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) == 0 || !fuzzCommands[args[0]] {
			return
		}
		for _, a := range args {
			if strings.Contains(a, "/") {
				return
			}
			for _, n := range fuzzNumber.FindAllString(a, -1) {
				if v, err := strconv.Atoi(n); err == nil && v > 1000 && v <= 1<<16 || len(fuzzNumber.FindAllString(a, -1)) > 8 {
					return
				}
			}
		}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		switch code {
		case exitOK:
			if stdout.Len() == 0 {
				t.Fatalf("%q: exit 0 without a result", args)
			}
		case exitUsage:
			if stdout.Len() != 0 {
				t.Fatalf("%q: usage error with output %q", args, stdout.String())
			}
			if n := strings.Count(stderr.String(), "\n"); n > 3 || !strings.HasPrefix(stderr.String(), "zoo") {
				t.Fatalf("%q: usage error of %d lines:\n%s", args, n, stderr.String())
			}
		case exitFailure:
			if !strings.HasPrefix(stderr.String(), "zoo") {
				t.Fatalf("%q: failure without a message naming zoo:\n%s", args, stderr.String())
			}
		default:
			t.Fatalf("%q: exit %d", args, code)
		}
	})
}
