package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
)

const graphSynopsis = "print a model's Gorgonia graph as Graphviz DOT (DOT on stdout, not JSON)"

func init() {
	register(command{name: "graph", synopsis: graphSynopsis, run: runGraph})
}

// maxGraphBatch bounds --batch: the batch size only labels the shapes, and
// building the graph allocates in proportion to it.
const maxGraphBatch = 4096

func runGraph(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("graph", graphSynopsis+`.

zoo graph MODEL [--mode train|eval] [--batch N] [--grad] [model flags]

This is the one subcommand whose stdout is not JSON: it prints the graph in
Graphviz DOT, to be piped to dot, e.g.

	zoo graph mlp-bn --mode eval | dot -Tsvg > mlp-bn.svg

--mode eval builds the inference graph (dropout off, BatchNorm on its running
statistics), --mode train the training graph: the forward pass in training
mode plus the cross-entropy loss and the model's penalties; --grad adds the
symbolic gradient nodes. The model flags change the architecture as in zoo
train.`, stderr)
	var mf modelFlags
	mf.register(fs)
	mode := fs.String("mode", "eval", "train or eval")
	batch := fs.Int("batch", 0, fmt.Sprintf("batch size the graph is built for, at most %d (default 1 for eval, 2 for train: training BatchNorm needs two samples)", maxGraphBatch))
	grad := fs.Bool("grad", false, "with --mode train, add the symbolic gradients of the cost")
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
	if *grad && m != graph.Train {
		return usageError(fs, errors.New("--grad needs --mode train"))
	}
	model, err := e.Build(cfg, 0)
	if err != nil {
		return usageError(fs, err)
	}
	dot, err := modelDot(model, m, *batch, *grad)
	if err != nil {
		return failure(stderr, "graph", err)
	}
	if _, err := io.WriteString(stdout, dot); err != nil {
		return failure(stderr, "graph", errors.Wrap(err, "write"))
	}
	return exitOK
}

// modelDot builds the model's graph in the given mode and returns it as DOT.
func modelDot(m *models.Model, mode graph.Mode, batch int, grad bool) (string, error) {
	b := graph.NewBuilder(m.Store(), mode, rand.New(rand.NewPCG(0, 0)))
	x, _ := b.Input("x", append([]int{batch}, m.InputShape()...)...)
	logits, err := m.Forward(b, x)
	if err != nil {
		return "", err
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
	dot := b.Graph().ToDot()
	if len(dot) == 0 || dot[len(dot)-1] != '\n' {
		dot += "\n"
	}
	return fmt.Sprint(dot), nil
}
