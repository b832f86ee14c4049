package regularizers

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

// GaussNewtonDiagonal returns h_kk, the diagonal of the Gauss-Newton matrix
// of the mean softmax cross-entropy L = (1/N)·Σ_n CE(z_n, y_n) of net's
// evaluation graph on the first N samples of data (cfg.Samples; all by
// default), for the weights cfg.Selector chooses:
//
//	GN = (1/N)·Σ_n J_nᵀ·H_n·J_n,   H_n = diag(p_n) − p_n·p_nᵀ,
//
// with J_n the Jacobian of sample n's logits z_n with respect to the
// weights and H_n the Hessian of the cross-entropy with respect to the
// logits (p_n = softmax(z_n); it does not depend on the label). GN is the
// Hessian of L without the terms that hold the network's second
// derivatives, Σ_c ∂L/∂z_c·∂²z_c/∂w²: LeCun, Denker & Solla's (1990)
// Levenberg-Marquardt approximation, here for cross-entropy instead of their
// squared error. It is positive semi-definite, and equals the Hessian for
// weights the logits depend on linearly (the last Linear layer's).
//
// The diagonal is exact, not the layer-by-layer back-propagated
// approximation of the 1990 paper (which also drops the cross terms
// between the units of a layer): H_n = Σ_c l_c·l_cᵀ with
// l_c = √p_c·(e_c − p_n), so diag(J_nᵀ·H_n·J_n) = Σ_c (J_nᵀ·l_c)², and each
// J_nᵀ·l_c is one backward pass of the single sample n with l_c as the
// gradient at the logits. That is C forward and backward passes of batch 1
// per sample, for C classes (skipped where p_c is exactly 0).
func GaussNewtonDiagonal(ctx context.Context, net Network, data *datasets.Dataset, cfg SaliencyConfig) (*Scores, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n, err := scoringData(net, data, cfg)
	if err != nil {
		return nil, err
	}
	s := net.Store()
	vars, err := Select(s, cfg.Selector)
	if err != nil {
		return nil, err
	}
	probs, classes, err := probabilities(ctx, net, data, n, batchSize(cfg))
	if err != nil {
		return nil, err
	}

	b := graph.NewBuilder(s, graph.Eval, rand.New(rand.NewPCG(0, 0)))
	x, xt := b.Input("x", append([]int{1}, net.InputShape()...)...)
	logits, err := net.Forward(b, x)
	if err != nil {
		return nil, err
	}
	v, vt := b.Input("logit_grad", 1, classes)
	prod, err := G.HadamardProd(logits, v)
	if err != nil {
		return nil, errors.Wrap(err, "regularizers: Gauss-Newton pass")
	}
	cost, err := G.Sum(prod)
	if err != nil {
		return nil, errors.Wrap(err, "regularizers: Gauss-Newton pass")
	}
	prog, err := graph.Compile(b, cost)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	grads := gradIndex(prog, vars)

	h := make([][]float64, len(vars))
	for i, v := range vars {
		h[i] = make([]float64, v.Shape().TotalSize())
	}
	l := make([]float64, classes)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loadRows(xt, data, i, 1)
		p := probs[i*classes : (i+1)*classes]
		for c, pc := range p {
			if pc == 0 {
				continue
			}
			r := math.Sqrt(pc)
			for j, pj := range p {
				l[j] = -r * pj
			}
			l[c] += r
			setValues(vt, l)
			if err := prog.Run(); err != nil {
				return nil, err
			}
			for k, gi := range grads {
				if gi < 0 {
					continue
				}
				g, err := prog.Grad(gi)
				if err != nil {
					return nil, err
				}
				addSquares(h[k], g)
			}
		}
	}
	for _, hk := range h {
		for j := range hk {
			hk[j] /= float64(n)
		}
	}
	sc := &Scores{Criterion: OBD, Values: h}
	for _, v := range vars {
		sc.Names = append(sc.Names, v.Name())
	}
	return sc, nil
}

// meanGradient returns ∂L/∂w for each of vars, L the mean cross-entropy of
// net's evaluation graph over the first samples of data.
func meanGradient(ctx context.Context, net Network, vars []*graph.Var, data *datasets.Dataset, cfg SaliencyConfig) ([][]float64, error) {
	n, err := scoringData(net, data, cfg)
	if err != nil {
		return nil, err
	}
	bs := min(batchSize(cfg), n)
	out := make([][]float64, len(vars))
	for i, v := range vars {
		out[i] = make([]float64, v.Shape().TotalSize())
	}
	progs := map[int]*lossProgram{}
	defer func() {
		for _, p := range progs {
			p.prog.Close()
		}
	}()
	for start := 0; start < n; start += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := min(bs, n-start)
		p, ok := progs[rows]
		if !ok {
			if p, err = newLossProgram(net, vars, rows); err != nil {
				return nil, err
			}
			progs[rows] = p
		}
		loadRows(p.x, data, start, rows)
		labels := make([]float64, rows)
		for r := range rows {
			labels[r] = float64(data.Y[start+r])
		}
		setValues(p.y, labels)
		if err := p.prog.Run(); err != nil {
			return nil, err
		}
		w := float64(rows) / float64(n) // the batch mean's weight in the mean over n
		for k, gi := range p.grads {
			if gi < 0 {
				continue
			}
			g, err := p.prog.Grad(gi)
			if err != nil {
				return nil, err
			}
			addScaled(out[k], g, w)
		}
	}
	return out, nil
}

// lossProgram is a network's evaluation graph at a fixed batch size with
// the mean cross-entropy and its gradients.
type lossProgram struct {
	prog  *graph.Program
	x, y  *tensor.Dense
	grads []int
}

func newLossProgram(net Network, vars []*graph.Var, rows int) (*lossProgram, error) {
	b := graph.NewBuilder(net.Store(), graph.Eval, rand.New(rand.NewPCG(0, 0)))
	x, xt := b.Input("x", append([]int{rows}, net.InputShape()...)...)
	logits, err := net.Forward(b, x)
	if err != nil {
		return nil, err
	}
	y, yt := b.Input("labels", rows)
	loss, err := nn.CrossEntropy(logits, y)
	if err != nil {
		return nil, err
	}
	prog, err := graph.Compile(b, loss)
	if err != nil {
		return nil, err
	}
	return &lossProgram{prog: prog, x: xt, y: yt, grads: gradIndex(prog, vars)}, nil
}

// probabilities returns softmax(z_n) of the evaluation graph for the first
// n samples of data, row-major (n, classes), and the number of classes.
func probabilities(ctx context.Context, net Network, data *datasets.Dataset, n, bs int) ([]float64, int, error) {
	bs = min(bs, n)
	b := graph.NewBuilder(net.Store(), graph.Eval, rand.New(rand.NewPCG(0, 0)))
	x, xt := b.Input("x", append([]int{bs}, net.InputShape()...)...)
	logits, err := net.Forward(b, x)
	if err != nil {
		return nil, 0, err
	}
	if s := logits.Shape(); s.Dims() != 2 || s[0] != bs {
		return nil, 0, errors.Wrapf(ErrShape, "regularizers: network output %v, want logits (%d, classes)", s, bs)
	}
	classes := logits.Shape()[1]
	prog, err := graph.Compile(b, nil)
	if err != nil {
		return nil, 0, err
	}
	defer prog.Close()
	out := make([]float64, 0, n*classes)
	for start := 0; start < n; start += bs {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		rows := min(bs, n-start)
		loadRows(xt, data, start, rows)
		if err := prog.Run(); err != nil {
			return nil, 0, err
		}
		lt, ok := logits.Value().(*tensor.Dense)
		if !ok {
			return nil, 0, errors.Errorf("regularizers: logits are %T", logits.Value())
		}
		lp, err := nn.LogProbs(lt, rows)
		if err != nil {
			return nil, 0, err
		}
		for _, x := range lp {
			out = append(out, math.Exp(x))
		}
	}
	return out, classes, nil
}

// gradIndex maps each of vars to its index in prog's gradients, or −1 if the
// graph does not use it (its gradient is zero).
func gradIndex(prog *graph.Program, vars []*graph.Var) []int {
	idx := make([]int, len(vars))
	for k, v := range vars {
		idx[k] = -1
		for i, pv := range prog.Params() {
			if pv == v {
				idx[k] = i
			}
		}
	}
	return idx
}

// loadRows copies rows samples of data from start into t and zeroes the
// rest of t.
func loadRows(t *tensor.Dense, data *datasets.Dataset, start, rows int) {
	f := data.Features()
	src := data.X[start*f : (start+rows)*f]
	switch d := t.Data().(type) {
	case []float32:
		copy(d, src)
		clear(d[len(src):])
	case []float64:
		for i, x := range src {
			d[i] = float64(x)
		}
		clear(d[len(src):])
	}
}

func setValues(t *tensor.Dense, vals []float64) {
	switch d := t.Data().(type) {
	case []float32:
		for i, x := range vals {
			d[i] = float32(x)
		}
	case []float64:
		copy(d, vals)
	}
}

func addSquares(acc []float64, g *tensor.Dense) {
	switch d := g.Data().(type) {
	case []float32:
		for j, x := range d[:len(acc)] {
			acc[j] += float64(x) * float64(x)
		}
	case []float64:
		for j, x := range d[:len(acc)] {
			acc[j] += x * x
		}
	}
}

func addScaled(acc []float64, g *tensor.Dense, w float64) {
	switch d := g.Data().(type) {
	case []float32:
		for j, x := range d[:len(acc)] {
			acc[j] += w * float64(x)
		}
	case []float64:
		for j, x := range d[:len(acc)] {
			acc[j] += w * x
		}
	}
}
