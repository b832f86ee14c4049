package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/pretrained"
)

const listSynopsis = "list the models with their parameter counts, papers, default recipes, measured test errors and shipped weights"

func init() {
	register(command{name: "list", synopsis: listSynopsis, run: runList})
}

// listReport is the JSON result of zoo list.
type listReport struct {
	// Default is the model zoo train trains when none is named.
	Default string      `json:"default"`
	Models  []listEntry `json:"models"`
}

// listEntry is one model. Errors are in percent on the 10,000-image MNIST
// test set; null when the paper gives none or the project has not measured
// the default recipe yet.
type listEntry struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Params      int                 `json:"params"`
	Paper       string              `json:"paper"`
	PaperError  *number             `json:"paper_error"`
	TestError   *number             `json:"test_error"`
	Measured    *models.Measurement `json:"measured"`
	Config      models.Config       `json:"config"`
	Recipe      models.Recipe       `json:"recipe"`
	// Shipped describes the model's shipped weights (zoo eval NAME, zoo
	// predict NAME …); null when the model has none.
	Shipped *shippedWeights `json:"shipped"`
}

// shippedWeights summarises a shipped file's manifest.
type shippedWeights struct {
	SHA256    string `json:"sha256"`
	Bytes     int64  `json:"bytes"`
	TestError number `json:"test_error"`
	Command   string `json:"command"`
	ZooCommit string `json:"zoo_commit"`
}

func runList(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("list", listSynopsis+`.

Errors are test errors in percent; null (or "-" in the table) when not
known. On a terminal the result is a table; piped or with --json it is JSON
with every field (recipes, configurations, measurement details). "shipped"
describes a model's shipped weights, which zoo eval, predict, sparsity,
card and export take by name; null when it has none.`, stderr)
	forceJSON := jsonFlag(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	r := listReport{Default: models.Default, Models: []listEntry{}}
	for _, e := range models.List() {
		n, err := e.NumParams()
		if err != nil {
			return failure(stderr, "list", err)
		}
		le := listEntry{
			Name: e.Name, Description: e.Description, Params: n, Paper: e.Paper,
			PaperError: optNumber(e.PaperError, e.PaperError > 0),
			Measured:   e.Measured, Config: e.Recipe.Config, Recipe: e.Recipe,
		}
		if e.Measured != nil {
			le.TestError = optNumber(e.Measured.TestError, true)
		}
		if pretrained.Has(e.Name) {
			man, err := pretrained.ManifestOf(e.Name)
			if err != nil {
				return failure(stderr, "list", err)
			}
			le.Shipped = &shippedWeights{SHA256: man.SHA256, Bytes: man.Bytes, TestError: number(man.TestError), Command: man.Command, ZooCommit: man.ZooCommit}
		}
		r.Models = append(r.Models, le)
	}
	if asTable(stdout, *forceJSON) {
		printListTable(stdout, r)
		return exitOK
	}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "list", err)
	}
	return exitOK
}

// printListTable prints one line per model: name, parameters, the paper's
// and the measured test error, and the description.
func printListTable(w io.Writer, r listReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tPARAMS\tPAPER ERR %\tTEST ERR %\tDESCRIPTION")
	pct := func(n *number) string {
		if n == nil {
			return "-"
		}
		return strconv.FormatFloat(float64(*n), 'f', -1, 64)
	}
	for _, m := range r.Models {
		name := m.Name
		if name == r.Default {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", name, m.Params, pct(m.PaperError), pct(m.TestError), m.Description)
	}
	tw.Flush()
}
