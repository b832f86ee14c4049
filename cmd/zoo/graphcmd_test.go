package main

import (
	"strings"
	"testing"

	"github.com/gozoo/zoo/models"
)

func mustLookup(t *testing.T, name string) models.Entry {
	t.Helper()
	e, err := models.Lookup(name)
	must(t, err)
	return e
}

func TestGraph(t *testing.T) {
	dot := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runZoo(t, append([]string{"graph"}, args...)...)
		if code != exitOK {
			t.Fatalf("zoo graph %v: exit %d\n%s", args, code, stderr)
		}
		if !strings.HasPrefix(stdout, "digraph ") || !strings.HasSuffix(stdout, "}\n") || strings.Count(stdout, "{") != strings.Count(stdout, "}") {
			t.Fatalf("zoo graph %v: not a DOT graph:\n%.300s", args, stdout)
		}
		return stdout
	}
	nodes := func(s string) int { return strings.Count(s, "fontname=monospace") }
	eval := dot("mlp-bn")
	train := dot("mlp-bn", "--mode", "train")
	grad := dot("mlp-bn", "--mode", "train", "--grad")
	// The eval graph normalises with the running statistics, the training
	// graph with the batch's and adds the labels and the loss.
	for _, c := range []struct {
		graph, name, node string
		want              bool
	}{
		{eval, "eval", "fc1/W", true}, {eval, "eval", "norm1/running_mean", true}, {eval, "eval", "train=false", true},
		{eval, "eval", "train=true", false}, {eval, "eval", "labels", false},
		{train, "train", "fc4/b", true}, {train, "train", "train=true", true}, {train, "train", "labels", true},
		{train, "train", "running_mean", false}, {train, "train", "(2, 100)", true},
	} {
		if strings.Contains(c.graph, c.node) != c.want {
			t.Errorf("%s graph contains %q: %v, want %v", c.name, c.node, !c.want, c.want)
		}
	}
	if nodes(grad) <= nodes(train) {
		t.Errorf("nodes: train %d, with gradients %d", nodes(train), nodes(grad))
	}
	// A penalty adds nodes to the training graph only.
	if pen := dot("mlp-bn", "--mode", "train", "--l2", "1e-4"); nodes(pen) <= nodes(train) {
		t.Errorf("L2 penalty: %d nodes, without %d", nodes(pen), nodes(train))
	}
	if pen := dot("mlp-bn", "--l2", "1e-4"); nodes(pen) != nodes(eval) {
		t.Errorf("L2 penalty changed the eval graph: %d nodes, without %d", nodes(pen), nodes(eval))
	}
	if !strings.Contains(dot("lenet5", "--batch", "4"), "(4, 6, 28, 28)") {
		t.Error("lenet5 at batch 4: no (4, 6, 28, 28) node")
	}
}

func TestGraphErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no model", nil, "missing model name"},
		{"mode", []string{"mlp", "--mode", "test"}, `--mode "test"`},
		{"grad in eval", []string{"mlp", "--grad"}, "--grad needs --mode train"},
		{"batch", []string{"mlp", "--batch", "0"}, "--batch 0"},
		{"unknown model", []string{"alexnet"}, `"alexnet"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append([]string{"graph"}, tt.args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
		})
	}
}
