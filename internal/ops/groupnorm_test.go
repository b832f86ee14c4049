package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

func TestGroupNormGradients(t *testing.T) {
	for _, tc := range []struct {
		shape  []int
		groups int
	}{
		{[]int{3, 6}, 1},       // LayerNorm over D
		{[]int{3, 6}, 2},       // groups of features
		{[]int{2, 6, 2, 3}, 1}, // LayerNorm over (C, H, W)
		{[]int{2, 6, 2, 3}, 3}, // GroupNorm
		{[]int{2, 6, 2, 3}, 6}, // InstanceNorm
		{[]int{2, 4, 5}, 2},    // (N, C, L)
	} {
		for _, affine := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/G=%d/affine=%t", tc.shape, tc.groups, affine), func(t *testing.T) {
				c := tc.shape[1]
				x := zootest.RandDense(41, tc.shape...)
				for i, v := range x.Float64s() {
					x.Float64s()[i] = 2*v - 0.3
				}
				inputs := []*tensor.Dense{x}
				if affine {
					inputs = append(inputs, normPositive(42, c), zootest.RandDense(43, c))
				}
				zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
					gamma, beta, _ := normAffineInputs(in, affine)
					return GroupNorm(in[0], gamma, beta, tc.groups, 1e-5)
				}, inputs, nil)
			})
		}
	}
}

// TestGroupNormGolden compares output and gradients of L = Σ y⊙gy with the
// PyTorch fixtures: torch nn.LayerNorm(6) on (4, 6), nn.GroupNorm(1, 4) for
// zoo's image LayerNorm, nn.GroupNorm(2|3, 6), nn.InstanceNorm2d(4,
// affine=True); all with eps 1e-5.
func TestGroupNormGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups func(meta map[string]any) int
	}{
		{"layernorm_2d", func(map[string]any) int { return 1 }},
		{"layernorm_4d", func(m map[string]any) int { return int(m["num_groups"].(float64)) }},
		{"groupnorm_g2", func(m map[string]any) int { return int(m["num_groups"].(float64)) }},
		{"groupnorm_g3", func(m map[string]any) int { return int(m["num_groups"].(float64)) }},
		{"instancenorm", func(m map[string]any) int { return int(m["num_features"].(float64)) }},
	} {
		for _, dd := range normDtypes {
			t.Run(tc.name+"/"+dd.dt.String(), func(t *testing.T) {
				meta := zootest.LoadMeta(t, "layers", tc.name)
				eps, groups := meta["eps"].(float64), tc.groups(meta)
				load := func(name string) *tensor.Dense { return zootest.LoadGolden(t, "layers", tc.name, name) }
				x := load("x")
				h := newNormHarness(t, dd.dt, x.Shape(), load("gamma"), load("beta"), func(g *G.ExprGraph, x, gm, bt *G.Node) (*G.Node, error) {
					return GroupNorm(x, gm, bt, groups, eps)
				})
				var worst float64
				y, gx, gg, gb := h.run(t, x, load("gy"))
				normCheck(t, "y", y, load("y"), dd.tol, &worst)
				normCheck(t, "gx", gx, load("gx"), dd.tol, &worst)
				normCheck(t, "ggamma", gg, load("ggamma"), dd.tol, &worst)
				normCheck(t, "gbeta", gb, load("gbeta"), dd.tol, &worst)
				// A second run on the same graph must give the same result.
				y2, gx2, _, _ := h.run(t, x, load("gy"))
				if normMaxRel(y2, y) != 0 || normMaxRel(gx2, gx) != 0 {
					t.Errorf("second run differs")
				}
				t.Logf("groups %d: max relative error %.3g", groups, worst)
			})
		}
	}
}

// TestGroupNormFormula checks the forward pass against the definition written
// out here for a (2, 4, 3) input in 2 groups with a large ε (so that ε's
// placement inside the square root matters).
func TestGroupNormFormula(t *testing.T) {
	for _, dd := range normDtypes {
		t.Run(dd.dt.String(), func(t *testing.T) {
			x := zootest.RandDense(51, 2, 4, 3)
			gamma, beta := normPositive(52, 4), zootest.RandDense(53, 4)
			const eps = 1e-3
			want := make([]float64, 24)
			xs := x.Float64s()
			for n := 0; n < 2; n++ {
				for g := 0; g < 2; g++ {
					blk := xs[(n*4+g*2)*3 : (n*4+g*2+2)*3]
					var mu, v float64
					for _, e := range blk {
						mu += e
					}
					mu /= 6
					for _, e := range blk {
						v += (e - mu) * (e - mu)
					}
					v /= 6
					for i, e := range blk {
						c := g*2 + i/3
						want[(n*4+g*2)*3+i] = gamma.Float64s()[c]*(e-mu)/math.Sqrt(v+eps) + beta.Float64s()[c]
					}
				}
			}
			b := zootest.NewGraph(t, dd.dt)
			g := b.Graph()
			xn := G.NewTensor(g, dd.dt, 3, G.WithShape(2, 4, 3), G.WithName("x"), G.WithValue(normCast(x, dd.dt)))
			gn := G.NewVector(g, dd.dt, G.WithShape(4), G.WithName("g"), G.WithValue(normCast(gamma, dd.dt)))
			bn := G.NewVector(g, dd.dt, G.WithShape(4), G.WithName("b"), G.WithValue(normCast(beta, dd.dt)))
			y, err := GroupNorm(xn, gn, bn, 2, eps)
			if err != nil {
				t.Fatal(err)
			}
			if err := zootest.RunGraph(t, b); err != nil {
				t.Fatal(err)
			}
			tol := 1e-14
			if dd.dt == tensor.Float32 {
				tol = 1e-6
			}
			if e := normMaxRel(normFloats(t, y.Value()), want); e > tol {
				t.Errorf("max relative error %.3g > %g", e, tol)
			}
		})
	}
}

func TestGroupNormRejectsBadInput(t *testing.T) {
	g := G.NewGraph()
	node := func(name string, dt tensor.Dtype, shape ...int) *G.Node {
		return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName(name))
	}
	x := node("x", tensor.Float32, 2, 6, 3, 3)
	gm, bt := node("g", tensor.Float32, 6), node("b", tensor.Float32, 6)
	for _, tc := range []struct {
		name   string
		x      *G.Node
		gm, bt *G.Node
		groups int
		eps    float64
		err    error
	}{
		{"groups do not divide C", x, gm, bt, 4, 1e-5, ErrConfig},
		{"zero groups", x, gm, bt, 0, 1e-5, ErrConfig},
		{"negative groups", x, gm, bt, -2, 1e-5, ErrConfig},
		{"beta without gamma", x, nil, bt, 2, 1e-5, ErrConfig},
		{"beta wrong size", x, gm, node("b2", tensor.Float32, 2), 2, 1e-5, ErrShape},
		{"beta wrong dtype", x, gm, node("b64", tensor.Float64, 6), 2, 1e-5, ErrDtype},
		{"scalar-like input", node("xs", tensor.Float32, 6), nil, nil, 1, 1e-5, ErrShape},
		{"NaN eps", x, nil, nil, 2, math.NaN(), ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := GroupNorm(tc.x, tc.gm, tc.bt, tc.groups, tc.eps); !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
		})
	}
	// Values of the wrong shape reaching the ops: errors, not panics.
	if _, err := (gnStatsOp{dims: 2, groups: 4, eps: 1e-5}).Do(zootest.RandDense(1, 2, 6)); !errors.Is(err, ErrShape) {
		t.Errorf("stats op with 6 channels in 4 groups: err = %v", err)
	}
	if _, err := (gnNormOp{dims: 2, groups: 2}).Do(zootest.RandDense(1, 2, 6), zootest.RandDense(2, 2, 3)); !errors.Is(err, ErrShape) {
		t.Errorf("norm op with (2,3) statistics: err = %v", err)
	}
	if _, err := (gnDxOp{dims: 2, groups: 2}).Do(zootest.RandDense(1, 2, 6), zootest.RandDense(2, 2, 4), zootest.RandDense(3, 2, 5)); !errors.Is(err, ErrShape) {
		t.Errorf("dx op with a (2,5) gradient: err = %v", err)
	}
}
