// Command runexp runs one of zoo's experiments (package experiments) and
// prints its result as one JSON object on stdout; progress goes to stderr.
//
//	go run ./tools/runexp -list
//	go run ./tools/runexp -quick -out /tmp/l1l2 l1-vs-l2
//	go run ./tools/runexp -seed 1 -out /tmp/es early-stopping
//
// Exit status: 0 when the experiment ran (whether or not the claim held),
// 1 when it failed, 2 on a usage error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gozoo/zoo/experiments"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("runexp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts experiments.Options
	fs.BoolVar(&opts.Quick, "quick", false, "small subsets and few epochs (seconds instead of minutes)")
	fs.StringVar(&opts.Out, "out", "", "output directory (default: runs/experiments/<experiment>)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	fs.StringVar(&opts.DataDir, "data", "", "directory holding the MNIST files (default: $ZOO_MNIST_DIR or the Go module cache)")
	list := fs.Bool("list", false, "list the experiments and exit")
	quiet := fs.Bool("q", false, "no progress on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: runexp [flags] <experiment>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *list {
		for _, e := range experiments.List() {
			fmt.Fprintf(stdout, "%-16s %s\n", e.Name, e.Title)
		}
		return 0
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	if _, err := experiments.Lookup(name); err != nil {
		fmt.Fprintln(stderr, "runexp:", err)
		return 2
	}
	if opts.Out == "" {
		opts.Out = "runs/experiments/" + name
	}
	if !*quiet {
		opts.Log = stderr
	}
	res, err := experiments.Run(ctx, name, opts)
	if err != nil {
		fmt.Fprintln(stderr, "runexp:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(stderr, "runexp:", err)
		return 1
	}
	return 0
}
