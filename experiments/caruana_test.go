package experiments

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/gozoo/zoo/datasets"
)

// The Legendre rows against the closed forms P2 = (3t²−1)/2,
// P3 = (5t³−3t)/2, P4 = (35t⁴−30t²+3)/8.
func TestCaruanaLegendre(t *testing.T) {
	for _, x := range []float64{-1, -0.3, 0, 0.5, 1} {
		row := make([]float64, 5)
		caruanaLegendre(x, row)
		want := []float64{1, x, (3*x*x - 1) / 2, (5*x*x*x - 3*x) / 2, (35*x*x*x*x - 30*x*x + 3) / 8}
		for k := range want {
			if math.Abs(row[k]-want[k]) > 1e-14 {
				t.Errorf("P%d(%g) = %g, want %g", k, x, row[k], want[k])
			}
		}
	}
}

// A noise-free cubic is recovered exactly by every order ≥ 3, and the
// minimum-norm solution of an underdetermined system is Aᵀ(AAᵀ)⁻¹y.
func TestCaruanaLeastSquares(t *testing.T) {
	cubic := func(x float64) float64 { return 0.5 - 0.2*x + 0.01*x*x*x/8 }
	var c datasets.Curve
	for x := 0.0; x <= 20; x++ {
		c.X = append(c.X, x)
		c.Y = append(c.Y, cubic(x))
	}
	for _, d := range []int{3, 5, 10} {
		t.Run(fmt.Sprintf("order %d", d), func(t *testing.T) {
			f, err := caruanaPolyFit(c, c, d)
			if err != nil {
				t.Fatal(err)
			}
			if f.train > 1e-9 || f.test > 1e-9 {
				t.Errorf("order %d: train RMSE %g, test RMSE %g, want ≈ 0", d, f.train, f.test)
			}
		})
	}
	a := mat.NewDense(2, 3, []float64{1, 2, 3, 0, 1, 1})
	y := []float64{1, 2}
	got, err := caruanaLeastSquares(a, y)
	if err != nil {
		t.Fatal(err)
	}
	var aat mat.Dense
	aat.Mul(a, a.T())
	var inv mat.Dense
	if err := inv.Inverse(&aat); err != nil {
		t.Fatal(err)
	}
	var want mat.VecDense
	var tmp mat.VecDense
	tmp.MulVec(&inv, mat.NewVecDense(2, y))
	want.MulVec(a.T(), &tmp)
	for i := range got {
		if math.Abs(got[i]-want.AtVec(i)) > 1e-12 {
			t.Errorf("coef %d = %g, want %g", i, got[i], want.AtVec(i))
		}
	}
}

func TestCaruanaOverfit(t *testing.T) {
	tests := []struct {
		name        string
		test        []float64
		ratio       float64
		best, worst int
	}{
		{"underfit then overfit", []float64{5, 1, 2, 10}, 10, 1, 3},
		{"underfitting does not count", []float64{9, 4, 2}, 1, 2, 2},
		{"bump after the best", []float64{3, 1, 1.5, 1.2}, 1.5, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, b, w := caruanaOverfit(tt.test)
			if r != tt.ratio || b != tt.best || w != tt.worst {
				t.Errorf("caruanaOverfit(%v) = %g, %d, %d, want %g, %d, %d", tt.test, r, b, w, tt.ratio, tt.best, tt.worst)
			}
		})
	}
}

// A tanh MLP fitted by the experiment's regression loop brings the
// training error of the noisy sine below the noise level's RMSE bound
// (the noise has standard deviation 0.5/√12 ≈ 0.144) and follows the
// noise-free curve, and the same seed gives the same bits.
func TestCaruanaMLPFit(t *testing.T) {
	train, err := datasets.CaruanaSine(newEnv(Experiment{}, Options{Seed: 3}).Rand(caruanaDataStream))
	if err != nil {
		t.Fatal(err)
	}
	grid, err := datasets.CaruanaGrid(101)
	if err != nil {
		t.Fatal(err)
	}
	a, err := caruanaMLPFit(train, grid, "tanh", 10, 1500, 0.01, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := caruanaMLPFit(train, grid, "tanh", 10, 1500, 0.01, 5)
	if err != nil {
		t.Fatal(err)
	}
	if a.train > 0.144 || a.test > 0.2 {
		t.Errorf("train RMSE %g, test RMSE %g", a.train, a.test)
	}
	if a.test != b.test || a.train != b.train {
		t.Errorf("two runs with one seed differ: %g/%g vs %g/%g", a.train, a.test, b.train, b.test)
	}
	if _, err := caruanaMLPFit(train, grid, "relu6", 10, 1, 0.01, 5); err == nil {
		t.Error("unknown activation accepted")
	}
}
