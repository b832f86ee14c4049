// Command zoo is the command line of the model zoo: one subcommand per job
// (zoo train, eval, predict, list, summary, graph, sparsity, export, data). Every
// subcommand writes progress to stderr and its result to stdout as one JSON
// object (zoo graph writes Graphviz DOT), and exits 0 on success, 1 on
// failure and 2 on a usage error. Ctrl-C cancels the running job; zoo train
// saves a resumable checkpoint first.
//
//	zoo help                      list the subcommands
//	zoo help train                flags of one subcommand
//	zoo train                     train the default model with its recipe
//	zoo eval runs/mlp-1/model.safetensors
//	zoo data --val-frac 0.1 --seed 1
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/pkg/errors"
)

// Exit codes.
const (
	exitOK      = 0 // success
	exitFailure = 1 // the job failed
	exitUsage   = 2 // bad command line: unknown subcommand, bad flag or value
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand. run gets the arguments after the subcommand's
// name and returns the exit code.
type command struct {
	name     string
	synopsis string // one line for `zoo help`
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands holds the subcommands by name. Each subcommand lives in its own
// file and adds itself from an init function:
//
//	func init() {
//		register(command{name: "train", synopsis: "...", run: runTrain})
//	}
var commands = map[string]command{}

// register adds a subcommand. Registering a name twice is a programming
// error caught at start-up (and by TestCommandsRegistered).
func register(c command) {
	if _, dup := commands[c.name]; dup || c.name == "" || c.run == nil || c.name == "help" {
		panic(fmt.Sprintf("zoo: bad or duplicate subcommand registration %q", c.name))
	}
	commands[c.name] = c
}

// run dispatches args (without the program name) to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "zoo: no subcommand")
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stderr)
			return exitOK
		}
		c, ok := commands[rest[0]]
		if !ok || len(rest) > 1 {
			fmt.Fprintf(stderr, "zoo help: unknown subcommand %q\n", strings.Join(rest, " "))
			usage(stderr)
			return exitUsage
		}
		return c.run(ctx, []string{"-h"}, stdout, stderr)
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "zoo: unknown subcommand %q\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, rest, stdout, stderr)
}

// usage lists the subcommands, sorted by name.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: zoo <subcommand> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Subcommands:")
	names := make([]string, 0, len(commands))
	width := 4
	for n := range commands {
		names = append(names, n)
		width = max(width, len(n))
	}
	slices.Sort(names)
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "list subcommands, or show the flags of one: zoo help <subcommand>")
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].synopsis)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Results are one JSON object on stdout (zoo graph: DOT); progress goes to stderr.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 failure, 2 usage error.")
}

// newFlagSet returns a FlagSet for subcommand name that reports errors
// instead of exiting and prints its usage to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("zoo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zoo %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. It returns done == true when the
// subcommand should return code at once: after -h (exit 0), a bad flag or
// an unexpected positional argument (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true // fs already printed the error and usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return exitOK, false
}

// usageError reports a bad flag value and returns exitUsage.
func usageError(fs *flag.FlagSet, err error) int {
	fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
	fs.Usage()
	return exitUsage
}

// failure reports a failed job on stderr and returns exitFailure.
func failure(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "zoo %s: %v\n", name, err)
	return exitFailure
}

// writeJSON writes v to w as one indented JSON object, with arrays of
// numbers on one line (see compactArrays).
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return errors.Wrap(err, "encode result")
	}
	_, err := w.Write(compactArrays(b.Bytes()))
	return errors.Wrap(err, "write result")
}
