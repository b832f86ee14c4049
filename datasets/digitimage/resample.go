package digitimage

import "math"

// resample scales a w×h plane to sw×sh with a separable triangle filter
// whose radius is one output pixel measured in input pixels, and at least
// one input pixel: when shrinking, each output pixel averages the input
// pixels under it (tapering at the edges), which antialiases; when
// enlarging, it interpolates bilinearly. Weights falling outside the plane
// are dropped and the rest renormalised. The sum of products runs in a
// fixed order, so the result is deterministic.
func resample(src []float64, w, h, sw, sh int) []float64 {
	wx := filterWeights(w, sw)
	wy := filterWeights(h, sh)
	tmp := make([]float64, h*sw) // rows scaled horizontally
	for r := 0; r < h; r++ {
		row := src[r*w : (r+1)*w]
		for c, f := range wx {
			var s float64
			for k, wt := range f.w {
				s += wt * row[f.first+k]
			}
			tmp[r*sw+c] = s
		}
	}
	out := make([]float64, sh*sw)
	for r, f := range wy {
		for c := 0; c < sw; c++ {
			var s float64
			for k, wt := range f.w {
				s += wt * tmp[(f.first+k)*sw+c]
			}
			out[r*sw+c] = s
		}
	}
	return out
}

// taps are the weights of one output pixel over input pixels first,
// first+1, ….
type taps struct {
	first int
	w     []float64
}

// filterWeights returns, for each of m output pixels over n input pixels,
// the triangle filter's normalised weights. Output pixel i is centred at
// input coordinate (i + ½)·n/m; input pixel j at j + ½.
func filterWeights(n, m int) []taps {
	scale := float64(n) / float64(m) // input pixels per output pixel
	radius := max(1, scale)
	out := make([]taps, m)
	for i := range out {
		centre := (float64(i) + 0.5) * scale
		lo := max(0, int(math.Floor(centre-radius-0.5)))
		hi := min(n-1, int(math.Ceil(centre+radius-0.5)))
		t := taps{first: lo}
		var sum float64
		for j := lo; j <= hi; j++ {
			wt := max(0, 1-math.Abs(float64(j)+0.5-centre)/radius)
			t.w = append(t.w, wt)
			sum += wt
		}
		for k := range t.w {
			t.w[k] /= sum
		}
		// Trim zero weights at the ends.
		for len(t.w) > 0 && t.w[0] == 0 {
			t.w = t.w[1:]
			t.first++
		}
		for len(t.w) > 0 && t.w[len(t.w)-1] == 0 {
			t.w = t.w[:len(t.w)-1]
		}
		out[i] = t
	}
	return out
}
