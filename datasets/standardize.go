package datasets

import "math"

// StandardizeMode chooses which statistics a Standardizer fits.
type StandardizeMode int

// Standardization modes.
const (
	// PerFeature fits one mean and standard deviation per feature (pixel),
	// like scikit-learn's StandardScaler.
	PerFeature StandardizeMode = iota
	// Global fits a single mean and standard deviation over all features
	// of all samples, like the usual MNIST normalisation
	// (x - 0.1307) / 0.3081.
	Global
)

// DefaultStdEpsilon is the default Standardizer.Epsilon.
const DefaultStdEpsilon = 1e-6

// Standardizer maps each feature x to (x - mean) / scale, with the mean and
// scale fitted on a training set only (Fit) and then applied unchanged to
// every split (Apply), so no statistic leaks from validation or test data.
//
// The standard deviation is the population one (divided by N, not N-1).
// Zero-variance features: where the fitted standard deviation is <= Epsilon
// the scale is 1, so the feature is only centred; MNIST has 67 pixels (per
// feature, on the 60,000 training images) that are 0 in every training
// image, and a test image that lights one of them keeps its raw value
// instead of being multiplied by 1/Epsilon. The zero value is a per-feature
// Standardizer with Epsilon = DefaultStdEpsilon (1e-6).
type Standardizer struct {
	// Mode selects per-feature (default) or global statistics.
	Mode StandardizeMode
	// Epsilon: standard deviations <= Epsilon give scale 1. Default (0):
	// DefaultStdEpsilon = 1e-6. Must not be negative.
	Epsilon float64

	// Mean and Scale are the fitted statistics: one per feature for
	// PerFeature, a single value for Global. Set by Fit.
	Mean, Scale []float32
	features    int
}

// Validate reports an unknown mode or a negative epsilon.
func (s *Standardizer) Validate() error {
	if s.Mode != PerFeature && s.Mode != Global {
		return errorf(ErrConfig, "standardize mode %d, want PerFeature (0) or Global (1)", s.Mode)
	}
	if s.Epsilon < 0 || math.IsNaN(s.Epsilon) {
		return errorf(ErrConfig, "standardize epsilon %v, want >= 0", s.Epsilon)
	}
	return nil
}

func (s *Standardizer) epsilon() float64 {
	if s.Epsilon == 0 {
		return DefaultStdEpsilon
	}
	return s.Epsilon
}

// Fit computes the mean and scale from train (accumulating in float64).
func (s *Standardizer) Fit(train *Dataset) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := train.Validate(); err != nil {
		return err
	}
	if train.Len() == 0 {
		return errorf(ErrEmpty, "cannot fit a standardizer on no samples")
	}
	D := train.Features()
	groups := D // number of statistics
	if s.Mode == Global {
		groups = 1
	}
	// Two passes (mean, then squared deviations) in float64 for accuracy.
	mean := make([]float64, groups)
	for i := 0; i < train.Len(); i++ {
		accumulate(mean, train.Row(i), nil)
	}
	count := float64(train.Len()) * float64(D/groups)
	for g := range mean {
		mean[g] /= count
	}
	sq := make([]float64, groups)
	for i := 0; i < train.Len(); i++ {
		accumulate(sq, train.Row(i), mean)
	}
	s.Mean = make([]float32, groups)
	s.Scale = make([]float32, groups)
	for g := range mean {
		std := math.Sqrt(sq[g] / count)
		s.Mean[g] = float32(mean[g])
		s.Scale[g] = 1
		if std > s.epsilon() {
			s.Scale[g] = float32(std)
		}
	}
	s.features = D
	return nil
}

// Apply returns a standardized copy of ds; ds itself is unchanged.
func (s *Standardizer) Apply(ds *Dataset) (*Dataset, error) {
	if s.Mean == nil {
		return nil, ErrNotFitted
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	if ds.Features() != s.features {
		return nil, errorf(ErrShape, "standardizer fitted on %d features, dataset has %d", s.features, ds.Features())
	}
	out := ds.Clone()
	for i := 0; i < out.Len(); i++ {
		row := out.Row(i)
		if len(s.Mean) == 1 {
			m, sc := s.Mean[0], s.Scale[0]
			for j, v := range row {
				row[j] = (v - m) / sc
			}
			continue
		}
		for j, v := range row {
			row[j] = (v - s.Mean[j]) / s.Scale[j]
		}
	}
	return out, nil
}

// accumulate adds the features of row to acc: one sum per feature when
// len(acc) == len(row), one sum over all features when len(acc) == 1. With
// mean non-nil it adds squared deviations (v - mean)^2 instead.
func accumulate(acc []float64, row []float32, mean []float64) {
	if len(acc) == 1 {
		var s float64
		if mean == nil {
			for _, v := range row {
				s += float64(v)
			}
		} else {
			for _, v := range row {
				d := float64(v) - mean[0]
				s += d * d
			}
		}
		acc[0] += s
		return
	}
	if mean == nil {
		for j, v := range row {
			acc[j] += float64(v)
		}
		return
	}
	for j, v := range row {
		d := float64(v) - mean[j]
		acc[j] += d * d
	}
}
