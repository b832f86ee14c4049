// Command zoo is the command line of the model zoo: one subcommand per job
// (zoo train, eval, predict, list, summary, graph, sparsity, export, data). Every
// subcommand writes progress to stderr and its result to stdout as one JSON
// object (zoo graph writes Graphviz DOT), and exits 0 on success, 1 on
// failure and 2 on a usage error. Ctrl-C cancels the running job; zoo train
// saves a resumable checkpoint first, zoo prune the last finished round.
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
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/suggest"
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

// run dispatches args (without the program name) to a subcommand. Help
// goes to stdout (so that zoo help | less works); a usage error is a few
// lines on stderr with the error first.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	errw := &streams{Writer: stderr, stdout: stdout}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "zoo: no subcommand")
		fmt.Fprintln(stderr, "Run 'zoo help' for the list of subcommands.")
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stdout)
			return exitOK
		}
		c, ok := commands[rest[0]]
		if !ok || len(rest) > 1 {
			fmt.Fprintf(stderr, "zoo help: unknown subcommand %q%s\n", strings.Join(rest, " "), suggest.Hint(rest[0], commandNames()))
			fmt.Fprintln(stderr, "Run 'zoo help' for the list of subcommands.")
			return exitUsage
		}
		return c.run(ctx, []string{"-h"}, stdout, errw)
	case "version", "-version", "--version":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "zoo version: unexpected argument %q\n", rest[0])
			return exitUsage
		}
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		what := "subcommand"
		if strings.HasPrefix(name, "-") {
			what = "flag (flags come after the subcommand)"
		}
		fmt.Fprintf(stderr, "zoo: unknown %s %q%s\n", what, name, suggest.Hint(strings.TrimLeft(name, "-"), append(commandNames(), "help", "version")))
		fmt.Fprintln(stderr, "Run 'zoo help' for the list of subcommands.")
		return exitUsage
	}
	return c.run(ctx, rest, stdout, errw)
}

// streams is the stderr a subcommand receives from run: it writes to
// stderr and carries stdout, where newFlagSet prints the help text.
type streams struct {
	io.Writer
	stdout io.Writer
}

// commandNames returns the registered subcommands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// usage lists the subcommands, sorted by name.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: zoo <subcommand> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Subcommands:")
	names := commandNames()
	width := len("version")
	for _, n := range names {
		width = max(width, len(n))
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "list subcommands, or show the flags of one: zoo help <subcommand>")
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].synopsis)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "version", "print the module version and VCS revision (also zoo --version)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Results go to stdout: one JSON object (zoo graph: DOT; zoo list and")
	fmt.Fprintln(w, "zoo summary: a table on a terminal, JSON when piped or with --json).")
	fmt.Fprintln(w, "Progress, warnings and errors go to stderr.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status:")
	fmt.Fprintln(w, "  0  success (help and version included)")
	fmt.Fprintln(w, "  1  the job failed or was cancelled (SIGINT, SIGTERM): missing or corrupt")
	fmt.Fprintln(w, "     input, non-finite weights, a locked output folder, a diverged run")
	fmt.Fprintln(w, "  2  usage error: unknown subcommand, model or flag, a bad or out-of-range")
	fmt.Fprintln(w, "     value, a missing or extra argument")
}

// versionLine describes the binary from its build information: the main
// module's version ("(devel)" for a build inside the repository), the VCS
// revision and time it was built from, whether the work tree had local
// changes, and the Go version and platform.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "zoo (no build information) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	line := "zoo " + v
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		line += " revision " + rev
		if when != "" || modified != "" {
			line += " (" + strings.TrimPrefix(when+modified, ", ") + ")"
		}
	}
	return line + " " + bi.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// newFlagSet returns a FlagSet for subcommand name that reports errors
// instead of exiting. Its Usage prints the full help (synopsis and flags)
// on stdout when stderr came from run, else on stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("zoo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	help := stderr
	if s, ok := stderr.(*streams); ok {
		help = s.stdout
	}
	fs.Usage = func() {
		fmt.Fprintf(help, "usage: zoo %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(help)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
		fmt.Fprintln(help)
		fmt.Fprintln(help, "Exit status: 0 success, 1 failure or cancelled, 2 usage error.")
	}
	return fs
}

// parse parses args into fs without printing anything: -h returns
// flag.ErrHelp, a bad flag an error in zoo's words, with a "did you mean"
// for a misspelt flag name.
func parse(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "unknown flag --" + name
		if c := suggest.Closest(name, names); c != "" {
			msg += " (did you mean --" + c + "?)"
		}
	} else if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		msg = "bad value " + rest
	}
	return errors.New(msg)
}

// parseFlags parses args into fs. It returns done == true when the
// subcommand should return code at once: after -h (help on stdout, exit 0),
// a bad flag or an unexpected positional argument (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return exitOK, true
		}
		return usageError(fs, err), true
	}
	if fs.NArg() > 0 {
		return usageError(fs, errors.Errorf("unexpected argument %q", fs.Arg(0))), true
	}
	return exitOK, false
}

// usageError reports a bad command line in two lines, the error first, and
// returns exitUsage.
func usageError(fs *flag.FlagSet, err error) int {
	fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
	fmt.Fprintf(fs.Output(), "Run '%s -h' for usage.\n", fs.Name())
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
