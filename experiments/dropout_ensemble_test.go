package experiments

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dropEnsBrute enumerates the masks one by one, with no shared partial
// sums: the reference for dropEnsEnsemble.
func dropEnsBrute(h []float64, layers [][2][]float64, p float64) (geo, arith, ws []float64) {
	n := len(h)
	forward := func(a []float64) []float64 {
		z := a
		for i, l := range layers {
			out := make([]float64, len(l[1]))
			dropEnsDense(out, z, l[0], l[1], i+1 < len(layers))
			z = out
		}
		return z
	}
	k := len(layers[len(layers)-1][1])
	logG, arith := make([]float64, k), make([]float64, k)
	for m := 0; m < 1<<n; m++ {
		a := make([]float64, n)
		prob := 1.0
		for j := range h {
			if m&(1<<j) != 0 {
				a[j] = h[j] / p
				prob *= p
			} else {
				prob *= 1 - p
			}
		}
		ls := dropEnsLogSoftmax(forward(a))
		for c := range ls {
			logG[c] += prob * ls[c]
			arith[c] += prob * math.Exp(ls[c])
		}
	}
	return dropEnsSoftmax(logG), arith, dropEnsSoftmax(forward(h))
}

func dropEnsRandom(rng *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = rng.NormFloat64()
	}
	return out
}

func TestDropEnsEnsemble(t *testing.T) {
	tests := []struct {
		name   string
		widths []int // hidden units, then the widths of the layers after them
		p      float64
		exact  bool // dropout feeds the softmax layer: geometric mean = weight scaling
	}{
		{"softmax layer, p=0.5", []int{6, 4}, 0.5, true},
		{"softmax layer, p=0.8", []int{7, 10}, 0.8, true},
		{"ReLU layer between, p=0.5", []int{6, 5, 4}, 0.5, false},
		{"two ReLU layers between, p=0.3", []int{5, 3, 3, 10}, 0.3, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			h := dropEnsRandom(rng, tt.widths[0])
			for j := range h {
				h[j] = math.Abs(h[j]) // ReLU outputs
			}
			var layers [][2][]float64
			for l := 0; l+1 < len(tt.widths); l++ {
				layers = append(layers, [2][]float64{dropEnsRandom(rng, tt.widths[l]*tt.widths[l+1]), dropEnsRandom(rng, tt.widths[l+1])})
			}
			geo, arith, ws := dropEnsEnsemble(h, layers, tt.p)
			bg, ba, bw := dropEnsBrute(h, layers, tt.p)
			for c := range geo {
				for _, pair := range [][2]float64{{geo[c], bg[c]}, {arith[c], ba[c]}, {ws[c], bw[c]}} {
					if math.Abs(pair[0]-pair[1]) > 1e-12 {
						t.Fatalf("class %d: ensemble %v / %v / %v, brute force %v / %v / %v", c, geo, arith, ws, bg, ba, bw)
					}
				}
			}
			// The mask probabilities sum to 1, so both means are distributions.
			var sg, sa float64
			for c := range geo {
				sg, sa = sg+geo[c], sa+arith[c]
			}
			if math.Abs(sg-1) > 1e-12 || math.Abs(sa-1) > 1e-12 {
				t.Errorf("sums: geometric %v, arithmetic %v", sg, sa)
			}
			// Srivastava et al. App. A / Baldi & Sadowski: for dropout on the
			// inputs of a softmax layer the normalised geometric mean is the
			// weight-scaled network; a ReLU layer in between breaks it.
			kl := dropEnsKL(geo, ws)
			if tt.exact && kl > 1e-12 {
				t.Errorf("KL(geometric ‖ weight scaling) = %g, want 0", kl)
			}
			if !tt.exact && kl < 1e-8 {
				t.Errorf("KL(geometric ‖ weight scaling) = %g, want > 0 with a ReLU layer between", kl)
			}
			// The arithmetic mean differs from the geometric mean.
			if dropEnsKL(arith, geo) < 1e-8 {
				t.Errorf("arithmetic and geometric means coincide: %v", arith)
			}
		})
	}
}

func TestDropEnsKL(t *testing.T) {
	tests := []struct {
		name string
		p, q []float64
		want float64
	}{
		{"equal", []float64{0.2, 0.8}, []float64{0.2, 0.8}, 0},
		{"halves vs quarters", []float64{0.5, 0.5}, []float64{0.25, 0.75}, 0.5*math.Log(2) + 0.5*math.Log(2.0/3)},
		{"zero in p", []float64{0, 1}, []float64{0.5, 0.5}, math.Log(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dropEnsKL(tt.p, tt.q); math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("KL = %v, want %v", got, tt.want)
			}
		})
	}
}
