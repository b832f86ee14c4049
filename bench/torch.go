package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// torchScript is bench/torch_ref.py, written to a temporary file at run
// time so the command works from any directory.
//
//go:embed torch_ref.py
var torchScript []byte

// installHint is printed when PyTorch cannot be imported.
const installHint = "apt-get update && apt-get install -y python3-torch python3-numpy"

// Variants of the PyTorch measurement.
const (
	variantTorch    = "torch"          // the BLAS that python3-torch links (libblas.so.3)
	variantOpenBLAS = "torch+openblas" // the same, with OpenBLAS first on LD_LIBRARY_PATH, choosing its own kernels
	// variantPinned is torch+openblas with the kernels this environment's
	// OPENBLAS_CORETYPE pins (measured only when it is set).
	variantPinned = "torch+openblas-pinned"
	variantZoo    = "zoo"
)

// openblasTuning are the variables that override OpenBLAS's choice of
// kernels and cache sizes; the torch+openblas child runs without them.
var openblasTuning = []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}

// torchEnv is a PyTorch variant's environment: the thread variables, and
// for the OpenBLAS variants the library directory (and for torch+openblas
// none of openblasTuning).
func torchEnv(variant string, threads int, openblasDir string) []string {
	n := strconv.Itoa(threads)
	env := withEnv(os.Environ(), "OMP_NUM_THREADS", n)
	env = withEnv(env, "MKL_NUM_THREADS", n)
	env = withEnv(env, "OPENBLAS_NUM_THREADS", n)
	if variant == variantOpenBLAS {
		for _, k := range openblasTuning {
			env = withoutEnv(env, k)
		}
	}
	if variant == variantOpenBLAS || variant == variantPinned {
		lp := openblasDir
		if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
			lp += ":" + old
		}
		env = withEnv(env, "LD_LIBRARY_PATH", lp)
	}
	return env
}

// withEnv returns env with key set to value (replacing any earlier value).
func withEnv(env []string, key, value string) []string {
	return append(withoutEnv(env, key), key+"="+value)
}

// withoutEnv returns env without key.
func withoutEnv(env []string, key string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// writeTorchScript writes the embedded script to a temporary file and
// returns its path and a function that removes it.
func writeTorchScript() (string, func(), error) {
	dir, err := os.MkdirTemp("", "zoo-bench-")
	if err != nil {
		return "", nil, errors.Wrap(err, "bench")
	}
	p := filepath.Join(dir, "torch_ref.py")
	if err := os.WriteFile(p, torchScript, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, errors.Wrap(err, "bench")
	}
	return p, func() { os.RemoveAll(dir) }, nil
}

// probeTorch runs torch_ref.py --probe in a variant's environment and
// returns its runtime description.
func probeTorch(ctx context.Context, python, script, variant, openblasDir string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, "--probe")
	cmd.Env = torchEnv(variant, 1, openblasDir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, errors.Errorf("%s %s --probe: %v: %s", python, script, err, lastLine(errb.String()))
	}
	var info map[string]string
	if err := json.Unmarshal(lastJSONLine(out.Bytes()), &info); err != nil {
		return nil, errors.Wrapf(err, "bench: parsing the torch probe %q", out.String())
	}
	return info, nil
}

// findOpenBLAS resolves the -openblas flag: "auto" looks in
// $ZOO_BENCH_OPENBLAS, the directory bench/openblas.sh fills, and Debian's
// libopenblas0-pthread directory; "" or "none" turns the variant off.
func findOpenBLAS(flagValue string) string {
	switch flagValue {
	case "", "none":
		return ""
	case "auto":
	default:
		return flagValue
	}
	var cands []string
	if d := os.Getenv("ZOO_BENCH_OPENBLAS"); d != "" {
		cands = append(cands, d)
	}
	if c, err := os.UserCacheDir(); err == nil {
		cands = append(cands, filepath.Join(c, "zoo-bench", "openblas", "usr", "lib", "x86_64-linux-gnu", "openblas-pthread"))
	}
	cands = append(cands, "/usr/lib/x86_64-linux-gnu/openblas-pthread")
	for _, d := range cands {
		if st, err := os.Stat(filepath.Join(d, "libblas.so.3")); err == nil && st.Mode().IsRegular() {
			return d
		}
	}
	return ""
}

// runChild runs one measurement in its own process and parses its result.
func runChild(ctx context.Context, cmd *exec.Cmd) (result, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return result{}, errors.Wrap(ctx.Err(), "bench: child")
		}
		return result{}, errors.Errorf("%v: %s", err, lastLine(errb.String()))
	}
	var r result
	if err := json.Unmarshal(lastJSONLine(out.Bytes()), &r); err != nil {
		return result{}, errors.Wrapf(err, "bench: parsing child output %q (stderr %q)", out.String(), lastLine(errb.String()))
	}
	return r, nil
}

// childCommand returns the command that measures sp.
func childCommand(ctx context.Context, st settings, script string, sp spec) (*exec.Cmd, error) {
	arg, err := json.Marshal(sp)
	if err != nil {
		return nil, errors.Wrap(err, "bench")
	}
	if sp.Impl == implZoo {
		exe, err := os.Executable()
		if err != nil {
			return nil, errors.Wrap(err, "bench: finding the bench binary")
		}
		cmd := exec.CommandContext(ctx, exe, "-child", string(arg))
		cmd.Env = withEnv(os.Environ(), "GOMAXPROCS", strconv.Itoa(sp.Threads))
		return cmd, nil
	}
	cmd := exec.CommandContext(ctx, st.python, script, string(arg))
	cmd.Env = torchEnv(sp.Variant, sp.Threads, st.openblas)
	return cmd, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// lastJSONLine returns the last line of b that starts with '{'.
func lastJSONLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if l := bytes.TrimSpace(lines[i]); len(l) > 0 && l[0] == '{' {
			return l
		}
	}
	return b
}

// describeVariant is a short label of a variant's BLAS for the tables.
func describeVariant(variant string, info map[string]string) string {
	if info == nil {
		return variant
	}
	if c := info["openblas_core"]; c != "" {
		return fmt.Sprintf("%s [%s %s]", variant, info["blas"], c)
	}
	return fmt.Sprintf("%s [%s]", variant, info["blas"])
}
