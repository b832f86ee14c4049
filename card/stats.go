package card

import "math"

// Z95 is the standard normal quantile of a two-sided 95% interval,
// Φ⁻¹(0.975).
const Z95 = 1.959963984540054

// Wilson returns the Wilson score interval of a proportion with k
// successes in n trials at normal quantile z (Z95 for 95%). It returns
// (0, 0) when n = 0.
func Wilson(k, n int, z float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 0
	}
	p, nf, z2 := float64(k)/float64(n), float64(n), z*z
	den := 1 + z2/nf
	centre := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return max(0, centre-half), min(1, centre+half)
}

// Bin is one confidence bin of a reliability diagram.
type Bin struct {
	// Lo and Hi bound the confidences of the bin, (Lo, Hi] (the first bin
	// also holds confidence 0).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Count is the number of samples in the bin.
	Count int `json:"count"`
	// Confidence is their mean confidence and Accuracy the fraction of
	// them predicted correctly (both 0 for an empty bin).
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// Calibration bins samples by confidence into m equal-width bins and
// returns the expected calibration error and the bins. conf[i] is sample
// i's confidence (its top class probability) and correct[i] whether its
// top class is the label.
func Calibration(conf []float64, correct []bool, m int) (ece float64, bins []Bin) {
	bins = make([]Bin, m)
	sumConf := make([]float64, m)
	hits := make([]int, m)
	for b := range bins {
		bins[b].Lo, bins[b].Hi = float64(b)/float64(m), float64(b+1)/float64(m)
	}
	for i, c := range conf {
		b := int(math.Ceil(c*float64(m))) - 1 // c in ((b)/m, (b+1)/m]
		b = min(max(b, 0), m-1)
		bins[b].Count++
		sumConf[b] += c
		if correct[i] {
			hits[b]++
		}
	}
	n := float64(len(conf))
	for b := range bins {
		if bins[b].Count == 0 {
			continue
		}
		cnt := float64(bins[b].Count)
		bins[b].Confidence = sumConf[b] / cnt
		bins[b].Accuracy = float64(hits[b]) / cnt
		ece += cnt / n * math.Abs(bins[b].Accuracy-bins[b].Confidence)
	}
	return ece, bins
}
