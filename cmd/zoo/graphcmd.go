package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
)

const graphSynopsis = "print a model's graph as Graphviz DOT, one node per layer or the full Gorgonia graph (DOT on stdout, not JSON)"

func init() {
	register(command{name: "graph", synopsis: graphSynopsis, run: runGraph})
}

// maxGraphBatch bounds --batch: the batch size only labels the shapes, and
// building the graph allocates in proportion to it.
const maxGraphBatch = 4096

func runGraph(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("graph", graphSynopsis+`.

zoo graph MODEL [--mode train|eval] [--batch N] [--full [--grad]] [model flags]

This is the one subcommand whose stdout is not JSON: it prints Graphviz DOT,
to be piped to dot, e.g.

	zoo graph mlp-bn | dot -Tsvg > mlp-bn.svg

By default the graph has one node per layer, labelled with its kind, output
shape and parameter count, from the input to the logits (and, with --mode
train, the labels, the cross-entropy loss and the model's penalties).
--full prints every node of the Gorgonia graph instead: variables, inputs
and operations with their shapes. --mode eval builds the inference graph
(dropout off, BatchNorm on its running statistics), --mode train the
training graph; --grad (with --full and --mode train) adds the symbolic
gradient nodes. The model flags change the architecture as in zoo train.`, stderr)
	var mf modelFlags
	mf.register(fs)
	mode := fs.String("mode", "eval", "train or eval")
	batch := fs.Int("batch", 0, fmt.Sprintf("batch size the graph is built for, at most %d (default 1 for eval, 2 for train: training BatchNorm needs two samples)", maxGraphBatch))
	full := fs.Bool("full", false, "print the full Gorgonia graph, one node per operation, instead of one node per layer")
	grad := fs.Bool("grad", false, "with --full --mode train, add the symbolic gradients of the cost")
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
	var m graph.Mode
	switch *mode {
	case "train":
		m = graph.Train
	case "eval":
		m = graph.Eval
	default:
		return usageError(fs, enumError("mode", *mode, "train", "eval"))
	}
	if !setFlags(fs)["batch"] {
		*batch = 1
		if m == graph.Train {
			*batch = 2
		}
	}
	if err := intRange("batch", *batch, 1, maxGraphBatch); err != nil {
		return usageError(fs, err)
	}
	if *grad && (m != graph.Train || !*full) {
		return usageError(fs, errors.New("--grad needs --full and --mode train"))
	}
	model, err := e.Build(cfg, 0)
	if err != nil {
		return usageError(fs, err)
	}
	dot, err := modelDot(model, m, *batch, *full, *grad)
	if err != nil {
		return failure(stderr, "graph", err)
	}
	if _, err := io.WriteString(stdout, dot); err != nil {
		return failure(stderr, "graph", errors.Wrap(err, "write"))
	}
	return exitOK
}

// modelDot builds the model's graph in the given mode and returns it as
// DOT: one node per layer, or with full every node of the Gorgonia graph.
func modelDot(m *models.Model, mode graph.Mode, batch int, full, grad bool) (string, error) {
	b := graph.NewBuilder(m.Store(), mode, rand.New(rand.NewPCG(0, 0)))
	in := append([]int{batch}, m.InputShape()...)
	x, _ := b.Input("x", in...)
	logits, trace, err := m.Net().Trace(b, x)
	if err != nil {
		return "", err
	}
	d := newDot(m.Name())
	if !full {
		d.node("input", fmt.Sprintf("input\n%v", in), "shape=ellipse")
		prev := "input"
		for i, t := range trace {
			id := fmt.Sprintf("l%d", i)
			label := fmt.Sprintf("%s: %s\n%v", t.Layer.Name(), layerKind(t.Layer), []int(t.OutputShape()))
			if n := layerParams(m, t.Layer.Name()); n > 0 {
				label += fmt.Sprintf("\n%d params", n)
			}
			if note := layerNote(t.Layer); note != "" {
				label += "\n" + note
			}
			d.node(id, label, "")
			d.edge(prev, id)
			prev = id
		}
		if mode == graph.Train {
			d.node("labels", fmt.Sprintf("labels\n[%d]", batch), "shape=ellipse")
			d.node("loss", "cross-entropy\n(mean over the batch)", "shape=octagon")
			d.edge(prev, "loss")
			d.edge("labels", "loss")
			for i, p := range m.Penalties() {
				id := fmt.Sprintf("p%d", i)
				d.node(id, fmt.Sprintf("penalty\n%+v", p), "shape=note")
				d.edge(id, "loss")
			}
		}
		return d.String(), nil
	}
	if mode == graph.Train {
		labels, _ := b.Input("labels", batch)
		cost, err := nn.CrossEntropy(logits, labels)
		if err != nil {
			return "", err
		}
		if cost, err = graph.AddPenalties(b, cost, m.Penalties()...); err != nil {
			return "", err
		}
		if grad {
			_, nodes := b.Params()
			if _, err := G.Grad(cost, nodes...); err != nil {
				return "", errors.Wrap(err, "symbolic gradient")
			}
		}
	}
	for _, n := range b.Graph().AllNodes() {
		id := fmt.Sprintf("n%d", n.ID())
		attrs := ""
		label := n.Name()
		if n.Op() != nil {
			label = n.Op().String()
		} else {
			attrs = "shape=ellipse"
		}
		if len(label) > 48 {
			label = label[:45] + "..."
		}
		d.node(id, fmt.Sprintf("%s\n%v", label, n.Shape()), attrs)
		// Gorgonia's edges point from an operation to its operands; data
		// flows the other way.
		for it := b.Graph().From(n.ID()); it.Next(); {
			d.edge(fmt.Sprintf("n%d", it.Node().ID()), id)
		}
	}
	return d.String(), nil
}

// layerParams counts the trainable scalars of the variables under a
// layer's name.
func layerParams(m *models.Model, layer string) int {
	n := 0
	for _, v := range m.Store().Params() {
		if name, _, _ := strings.Cut(v.Name(), "/"); name == layer {
			n += v.Shape().TotalSize()
		}
	}
	return n
}

// dotWriter writes a DOT digraph with quoted, escaped labels and plain
// identifiers, so that dot accepts it without warnings.
type dotWriter struct{ b strings.Builder }

func newDot(name string) *dotWriter {
	d := &dotWriter{}
	fmt.Fprintf(&d.b, "digraph %s {\n\trankdir=TB;\n\tnode [shape=box, fontname=monospace, fontsize=10];\n", dotQuote(name))
	return d
}

// node adds a node; in label, the two characters \n are DOT's line break.
func (d *dotWriter) node(id, label, attrs string) {
	if attrs != "" {
		attrs = ", " + attrs
	}
	fmt.Fprintf(&d.b, "\t%s [label=%s%s];\n", id, dotQuote(label), attrs)
}

func (d *dotWriter) edge(from, to string) { fmt.Fprintf(&d.b, "\t%s -> %s;\n", from, to) }

func (d *dotWriter) String() string { return d.b.String() + "}\n" }

// dotQuote quotes s as a DOT string, keeping the escape \n (a line break)
// and escaping quotes and other backslashes.
func dotQuote(s string) string {
	var q strings.Builder
	q.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] == 'n':
			q.WriteString(`\n`)
			i++
		case c == '\\' || c == '"':
			q.WriteByte('\\')
			q.WriteByte(c)
		case c == '\n':
			q.WriteString(`\n`)
		default:
			q.WriteByte(c)
		}
	}
	q.WriteByte('"')
	return q.String()
}
