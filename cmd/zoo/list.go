package main

import (
	"context"
	"io"

	"github.com/gozoo/zoo/models"
)

const listSynopsis = "list the models with their parameter counts, papers, default recipes and measured test errors"

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
}

func runList(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("list", listSynopsis+".\n\nErrors are test errors in percent; null when not known.", stderr)
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
		r.Models = append(r.Models, le)
	}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "list", err)
	}
	return exitOK
}
