package regularizers

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

// tinyNet is a 4-5-3 tanh MLP (fc1, fc2) in the given dtype.
type tinyNet struct {
	s   *graph.Store
	seq *nn.Sequential
}

func (n *tinyNet) Store() *graph.Store { return n.s }
func (n *tinyNet) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	return n.seq.Forward(b, x)
}
func (n *tinyNet) InputShape() []int { return []int{4} }

func newTinyNet(t *testing.T, dt tensor.Dtype) *tinyNet {
	t.Helper()
	s, err := graph.NewStore(dt)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 1))
	cfg := nn.LinearConfig{Init: graph.Normal(0.8), BiasInit: graph.Normal(0.3)}
	fc1, err := nn.NewLinear(s, "fc1", 4, 5, cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	fc2, err := nn.NewLinear(s, "fc2", 5, 3, cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	return &tinyNet{s: s, seq: nn.NewSequential("tiny", fc1, nn.Tanh("act1"), fc2)}
}

// tinyData is n samples of 4 N(0,1) features with labels in 0..2.
func tinyData(t *testing.T, n int) *datasets.Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 4*n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(3)
	}
	d, err := datasets.New(x, y, datasets.Shape{C: 1, H: 1, W: 4}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// perturb adds delta to element k of v (float64 store).
func perturb(v *graph.Var, k int, delta float64) {
	v.Value().Data().([]float64)[k] += delta
}

// meanLoss is the mean cross-entropy of net on data, from the probabilities.
func meanLoss(t *testing.T, net Network, data *datasets.Dataset) float64 {
	t.Helper()
	p, c, err := probabilities(context.Background(), net, data, data.Len(), 256)
	if err != nil {
		t.Fatal(err)
	}
	var l float64
	for i, y := range data.Y {
		l -= math.Log(p[i*c+y])
	}
	return l / float64(data.Len())
}

func relDiff(a, b []float64) float64 {
	var d, n float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n = math.Max(n, math.Max(math.Abs(a[i]), math.Abs(b[i])))
	}
	return math.Sqrt(d) / math.Max(n*math.Sqrt(float64(len(a))), 1e-300)
}

// relNorm is ‖a−b‖/‖b‖.
func relNorm(a, b []float64) float64 {
	var d, n float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n += b[i] * b[i]
	}
	return math.Sqrt(d / n)
}

// TestGaussNewtonDiagonal checks GaussNewtonDiagonal against two references
// computed without it, on a 4-5-3 tanh MLP and 6 samples in float64:
//
//   - the Gauss-Newton diagonal from its definition, (1/N)·Σ_n
//     J_nᵀ(diag p_n − p_n p_nᵀ)J_n, with the logits' Jacobian J_n taken by
//     central differences of the forward pass;
//   - the true Hessian diagonal ∂²L/∂w_k², by central differences of the
//     gradient. For fc2 the logits are linear in the weights, so the two are
//     equal; for fc1 they differ by Σ_c ∂L/∂z_c·∂²z_c/∂w_k², and the test
//     reports by how much, at the initial weights and after 300 steps of
//     gradient descent (where ∂L/∂z is smaller).
func TestGaussNewtonDiagonal(t *testing.T) {
	ctx := context.Background()
	net := newTinyNet(t, graph.Float64)
	data := tinyData(t, 6)
	cfg := SaliencyConfig{Selector: AllParams(), BatchSize: 4}
	const eps = 1e-5
	check := func(stage string) {
		gn, err := GaussNewtonDiagonal(ctx, net, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range gn.Names {
			v := mustVar(t, net.s, name)
			def := make([]float64, len(gn.Values[i]))
			trueH := make([]float64, len(gn.Values[i]))
			for k := range def {
				perturb(v, k, eps)
				zp, _ := logitsOf(t, net, data)
				gp, err := meanGradient(ctx, net, []*graph.Var{v}, data, cfg)
				if err != nil {
					t.Fatal(err)
				}
				perturb(v, k, -2*eps)
				zm, _ := logitsOf(t, net, data)
				gm, err := meanGradient(ctx, net, []*graph.Var{v}, data, cfg)
				if err != nil {
					t.Fatal(err)
				}
				perturb(v, k, eps)
				trueH[k] = (gp[0][k] - gm[0][k]) / (2 * eps)
				_, p := logitsOf(t, net, data)
				c := 3
				for n := range data.Len() {
					j := make([]float64, c)
					for a := range c {
						j[a] = (zp[n*c+a] - zm[n*c+a]) / (2 * eps)
					}
					pn := p[n*c : (n+1)*c]
					var jp float64
					for a := range c {
						def[k] += pn[a] * j[a] * j[a]
						jp += pn[a] * j[a]
					}
					def[k] -= jp * jp
				}
				def[k] /= float64(data.Len())
			}
			if d := relDiff(gn.Values[i], def); d > 1e-8 {
				t.Errorf("%s: %s: Gauss-Newton diagonal differs from its definition by %.2g\ngot  %v\nwant %v", stage, name, d, gn.Values[i], def)
			}
			for k, h := range gn.Values[i] {
				if h < 0 {
					t.Errorf("%s: %s[%d]: Gauss-Newton diagonal %g < 0", stage, name, k, h)
				}
			}
			gap := relNorm(gn.Values[i], trueH)
			if LayerOf(name) == "fc2" {
				if d := relDiff(gn.Values[i], trueH); d > 1e-7 {
					t.Errorf("%s: %s: output layer's Gauss-Newton diagonal differs from the Hessian's by %.2g", stage, name, d)
				}
			}
			neg := 0
			for _, h := range trueH {
				if h < 0 {
					neg++
				}
			}
			t.Logf("%s (loss %.4f): %-6s ‖GN − H‖/‖H‖ on the diagonal = %.3g (%d of %d true diagonal entries negative)", stage, meanLoss(t, net, data), name, gap, neg, len(trueH))
		}
	}
	check("initial weights")
	for range 300 {
		vars := net.s.Params()
		g, err := meanGradient(ctx, net, vars, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vars {
			for k := range g[i] {
				perturb(v, k, -0.5*g[i][k])
			}
		}
	}
	check("after 300 GD steps")
}

// logitsOf returns the logits and the probabilities of net on data,
// row-major (N, 3).
func logitsOf(t *testing.T, net *tinyNet, data *datasets.Dataset) (z, p []float64) {
	t.Helper()
	n := data.Len()
	b := graph.NewBuilder(net.s, graph.Eval, nil)
	x, xt := b.Input("x", n, 4)
	out, err := net.Forward(b, x)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := graph.Compile(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	loadRows(xt, data, 0, n)
	if err := prog.Run(); err != nil {
		t.Fatal(err)
	}
	z = slices.Clone(out.Value().Data().([]float64))
	lp, err := nn.LogProbs(out.Value().(*tensor.Dense), n)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lp {
		p = append(p, math.Exp(l))
	}
	return z, p
}

// TestSaliencyTaylor checks |w·∂L/∂w| against central differences of the
// loss, with batches of 4 and 6 samples giving the same scores.
func TestSaliencyTaylor(t *testing.T) {
	ctx := context.Background()
	net := newTinyNet(t, graph.Float64)
	data := tinyData(t, 6)
	sc, err := Saliency(ctx, net, data, SaliencyConfig{Criterion: Taylor, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Saliency(ctx, net, data, SaliencyConfig{Criterion: Taylor, BatchSize: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sc.Names, []string{"fc1/W", "fc2/W"}) {
		t.Fatalf("scored %v, want the two weight matrices", sc.Names)
	}
	const eps = 1e-6
	for i, name := range sc.Names {
		v := mustVar(t, net.s, name)
		w := v.Float64s()
		want := make([]float64, len(w))
		for k := range w {
			perturb(v, k, eps)
			lp := meanLoss(t, net, data)
			perturb(v, k, -2*eps)
			lm := meanLoss(t, net, data)
			perturb(v, k, eps)
			want[k] = math.Abs(w[k] * (lp - lm) / (2 * eps))
		}
		if d := relDiff(sc.Values[i], want); d > 1e-7 {
			t.Errorf("%s: Taylor scores differ from finite differences by %.2g", name, d)
		}
		if d := relDiff(sc.Values[i], whole.Values[i]); d > 1e-14 {
			t.Errorf("%s: batch 4 and batch 6 differ by %.2g", name, d)
		}
	}
}

// TestSaliencyOBDIsHalfHW2 checks s_k = ½·h_kk·w_k² and that a zero weight
// scores −1 under every criterion.
func TestSaliencyOBDIsHalfHW2(t *testing.T) {
	ctx := context.Background()
	net := newTinyNet(t, graph.Float64)
	data := tinyData(t, 6)
	v := mustVar(t, net.s, "fc1/W")
	v.Value().Data().([]float64)[3] = 0
	h, err := GaussNewtonDiagonal(ctx, net, data, SaliencyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Criteria {
		sc, err := Saliency(ctx, net, data, SaliencyConfig{Criterion: c, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.Values[0][3]; got != -1 {
			t.Errorf("%v: zero weight scores %g, want -1", c, got)
		}
		if c != OBD {
			continue
		}
		for i, name := range sc.Names {
			w := mustVar(t, net.s, name).Float64s()
			for k, x := range w {
				want := 0.5 * h.Values[i][k] * x * x
				if x == 0 {
					want = -1
				}
				if sc.Values[i][k] != want {
					t.Errorf("%s[%d]: OBD %g, want ½·%g·%g² = %g", name, k, sc.Values[i][k], h.Values[i][k], x, want)
				}
			}
		}
	}
}

// TestPruneScoresMagnitudeIsPrune checks that pruning by magnitude scores
// gives Prune's mask, globally and per layer, in both dtypes.
func TestPruneScoresMagnitudeIsPrune(t *testing.T) {
	for _, dt := range dtypes {
		for _, scope := range []Scope{Global, PerLayer} {
			t.Run(dt.String()+"/"+scope.String(), func(t *testing.T) {
				a, b := model(t, dt), model(t, dt)
				want, err := Prune(a, 0.4, scope, nil)
				if err != nil {
					t.Fatal(err)
				}
				sc, err := Saliency(context.Background(), storeOnly{b}, nil, SaliencyConfig{})
				if err != nil {
					t.Fatal(err)
				}
				got, err := PruneScores(b, sc, 0.4, scope)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range want.Names() {
					kw, _ := want.Kept(name)
					kg, _ := got.Kept(name)
					if !slices.Equal(kw, kg) {
						t.Errorf("%s: keep %v, Prune keeps %v", name, kg, kw)
					}
				}
			})
		}
	}
}

// storeOnly is a Network without a forward pass, enough for Magnitude and
// Random.
type storeOnly struct{ s *graph.Store }

func (n storeOnly) Store() *graph.Store                            { return n.s }
func (storeOnly) Forward(*graph.Builder, *G.Node) (*G.Node, error) { return nil, ErrConfig }
func (storeOnly) InputShape() []int                                { return []int{1} }

// TestSaliencyRandom checks that Random is a pure function of its seed and
// uniform: over 2,000 weights the mean of U(0,1) is 0.5 ± 3 standard
// errors (1/√12/√2000 ≈ 0.0065).
func TestSaliencyRandom(t *testing.T) {
	s, err := graph.NewStore(graph.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewParam(graph.ParamSpec{Name: "fc/W", Role: graph.Weight, Shape: []int{40, 50}, Init: graph.Constant(1)}, nil); err != nil {
		t.Fatal(err)
	}
	score := func(seed uint64) []float64 {
		sc, err := Saliency(context.Background(), storeOnly{s}, nil, SaliencyConfig{Criterion: Random, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return sc.Values[0]
	}
	a, b, c := score(1), score(1), score(2)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatal("random scores are not a function of the seed")
	}
	var m float64
	for _, x := range a {
		m += x / float64(len(a))
	}
	if math.Abs(m-0.5) > 3*0.0065 {
		t.Errorf("mean random score %.4f, want 0.5 ± 0.0195", m)
	}
}

func TestSaliencyErrors(t *testing.T) {
	net := newTinyNet(t, graph.Float64)
	ctx := context.Background()
	if _, err := Saliency(ctx, net, nil, SaliencyConfig{Criterion: OBD}); err == nil {
		t.Error("OBD without data: no error")
	}
	bad, _ := datasets.New(make([]float32, 3), []int{0}, datasets.Shape{C: 1, H: 1, W: 3}, 3)
	if _, err := Saliency(ctx, net, bad, SaliencyConfig{Criterion: Taylor}); err == nil {
		t.Error("3 features for a 4-input network: no error")
	}
	if _, err := ParseCriterion("hessian"); err == nil {
		t.Error(`ParseCriterion("hessian"): no error`)
	}
	if _, err := PruneScores(net.s, &Scores{Names: []string{"nope"}, Values: [][]float64{{1}}}, 0.5, Global); err == nil {
		t.Error("scores for an unknown parameter: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Saliency(cctx, net, tinyData(t, 6), SaliencyConfig{Criterion: OBD}); err == nil {
		t.Error("cancelled context: no error")
	}
}
