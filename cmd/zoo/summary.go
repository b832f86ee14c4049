package main

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
)

const summarySynopsis = "show a model's layers with output shapes and parameter counts"

func init() {
	register(command{name: "summary", synopsis: summarySynopsis, run: runSummary})
}

// summaryReport is the JSON result of zoo summary.
type summaryReport struct {
	Model  string        `json:"model"`
	Config models.Config `json:"config"`
	Dtype  string        `json:"dtype"`
	// InputShape is the traced input, batch 1 included: [1 784] or [1 1 28 28].
	InputShape []int          `json:"input_shape"`
	Layers     []summaryLayer `json:"layers"`
	// TotalParams counts trainable scalars, TotalBuffers the others
	// (BatchNorm's running statistics).
	TotalParams  int `json:"total_params"`
	TotalBuffers int `json:"total_buffers"`
	// Bytes is the size of all parameters and buffers in memory.
	Bytes int `json:"bytes"`
}

// summaryLayer is one layer of the evaluation graph.
type summaryLayer struct {
	Layer string `json:"layer"`
	Kind  string `json:"kind"`
	// OutputShape is the layer's output at batch 1.
	OutputShape []int `json:"output_shape"`
	Params      int   `json:"params"`
	Buffers     int   `json:"buffers,omitempty"`
	// Variables lists the layer's variables as name → shape.
	Variables map[string][]int `json:"variables,omitempty"`
	// Note holds settings that are not visible in the shapes (dropout rate).
	Note string `json:"note,omitempty"`
}

func runSummary(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("summary", summarySynopsis+`.

zoo summary MODEL [flags]

Output shapes come from tracing the evaluation graph at batch size 1. The
model flags change the architecture as in zoo train. On a terminal the
result is a table; piped or with --json it is JSON with the table's rows.`, stderr)
	var mf modelFlags
	mf.register(fs)
	forceJSON := jsonFlag(fs)
	pos, code, done := parseArgs(fs, args, 1, 1, "model name (zoo list shows them)")
	if done {
		return code
	}
	e, err := models.Lookup(pos[0])
	if err != nil {
		return usageError(fs, err)
	}
	cfg, err := mf.config(fs, e)
	if err != nil {
		return usageError(fs, err)
	}
	m, err := e.Build(cfg, 0)
	if err != nil {
		return usageError(fs, err)
	}
	r, err := summarize(m)
	if err != nil {
		return failure(stderr, "summary", err)
	}
	if asTable(stdout, *forceJSON) {
		printSummaryTable(stdout, r)
		return exitOK
	}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "summary", err)
	}
	return exitOK
}

// summarize traces the model's evaluation graph at batch 1.
func summarize(m *models.Model) (*summaryReport, error) {
	b := graph.NewBuilder(m.Store(), graph.Eval, nil)
	in := append([]int{1}, m.InputShape()...)
	x, _ := b.Input("x", in...)
	_, trace, err := m.Net().Trace(b, x)
	if err != nil {
		return nil, errors.WithMessage(err, "trace the evaluation graph")
	}
	r := &summaryReport{Model: m.Name(), Config: m.Config(), Dtype: m.Store().Dtype().String(), InputShape: in}
	byLayer := map[string]*summaryLayer{}
	for _, t := range trace {
		r.Layers = append(r.Layers, summaryLayer{Layer: t.Layer.Name(), Kind: layerKind(t.Layer), OutputShape: []int(t.OutputShape().Clone()), Note: layerNote(t.Layer)})
	}
	for i := range r.Layers {
		byLayer[r.Layers[i].Layer] = &r.Layers[i]
	}
	for _, v := range m.Store().Vars() {
		n := v.Shape().TotalSize()
		r.Bytes += n * int(m.Store().Dtype().Size())
		if v.Kind() == graph.Parameter {
			r.TotalParams += n
		} else {
			r.TotalBuffers += n
		}
		layer, _, _ := strings.Cut(v.Name(), "/")
		l := byLayer[layer]
		if l == nil {
			continue
		}
		if v.Kind() == graph.Parameter {
			l.Params += n
		} else {
			l.Buffers += n
		}
		if l.Variables == nil {
			l.Variables = map[string][]int{}
		}
		l.Variables[v.Name()] = []int(v.Shape())
	}
	return r, nil
}

// layerKind is a layer's type name, or its function for activations.
func layerKind(l nn.Layer) string {
	if a, ok := l.(*nn.Activation); ok {
		switch a.Kind() {
		case "relu":
			return "ReLU"
		case "sigmoid":
			return "Sigmoid"
		case "tanh":
			return "Tanh"
		}
		return a.Kind()
	}
	t := reflect.TypeOf(l)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func layerNote(l nn.Layer) string {
	if d, ok := l.(*nn.Dropout); ok {
		return fmt.Sprintf("p=%g", d.Rate())
	}
	return ""
}

// printSummaryTable writes the summary as an aligned table.
func printSummaryTable(w io.Writer, r *summaryReport) {
	fmt.Fprintf(w, "%s (%s), input %v\n", r.Model, r.Dtype, r.InputShape)
	fmt.Fprintf(w, "%-10s %-10s %-16s %10s\n", "layer", "kind", "output shape", "params")
	for _, l := range r.Layers {
		extra := l.Note
		if l.Buffers > 0 {
			extra = strings.TrimSpace(fmt.Sprintf("%s %d buffers", extra, l.Buffers))
		}
		line := fmt.Sprintf("%-10s %-10s %-16s %10d  %s", l.Layer, l.Kind, fmt.Sprint(l.OutputShape), l.Params, extra)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintf(w, "total: %d parameters, %d buffer values, %d bytes\n", r.TotalParams, r.TotalBuffers, r.Bytes)
}
