package datasets

import (
	"math"
	"testing"

	"github.com/pkg/errors"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestStandardizerHandComputed(t *testing.T) {
	// Three samples of two features; feature 1 is constant.
	train := &Dataset{X: []float32{0, 2, 2, 2, 4, 2}, Y: []int{0, 0, 0}, Shape: Shape{1, 1, 2}, NumClasses: 1}
	test := &Dataset{X: []float32{1, 5}, Y: []int{0}, Shape: Shape{1, 1, 2}, NumClasses: 1}
	sd0 := math.Sqrt(8.0 / 3) // population sd of 0, 2, 4
	sdAll := math.Sqrt(8.0 / 6)
	tests := []struct {
		name       string
		s          Standardizer
		mean, scl  []float64
		test, trn0 []float64 // standardized test sample, standardized train sample 0
	}{
		{"per feature", Standardizer{}, []float64{2, 2}, []float64{sd0, 1},
			[]float64{-1 / sd0, 3}, []float64{-2 / sd0, 0}},
		{"global", Standardizer{Mode: Global}, []float64{2}, []float64{sdAll},
			[]float64{-1 / sdAll, 3 / sdAll}, []float64{-2 / sdAll, 0}},
		{"per feature, large epsilon", Standardizer{Epsilon: 2}, []float64{2, 2}, []float64{1, 1},
			[]float64{-1, 3}, []float64{-2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if err := s.Fit(train); err != nil {
				t.Fatal(err)
			}
			for g := range tt.mean {
				if !near(float64(s.Mean[g]), tt.mean[g], 1e-6) || !near(float64(s.Scale[g]), tt.scl[g], 1e-6) {
					t.Fatalf("stats %v %v, want %v %v", s.Mean, s.Scale, tt.mean, tt.scl)
				}
			}
			out, err := s.Apply(test)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := s.Apply(train)
			if err != nil {
				t.Fatal(err)
			}
			for j := range tt.test {
				if !near(float64(out.X[j]), tt.test[j], 1e-6) || !near(float64(tr.X[j]), tt.trn0[j], 1e-6) {
					t.Fatalf("test %v train %v, want %v %v", out.X, tr.X[:2], tt.test, tt.trn0)
				}
			}
			if test.X[0] != 1 || train.X[0] != 0 {
				t.Fatal("Apply modified its input")
			}
		})
	}
}

func TestStandardizerRejects(t *testing.T) {
	var s Standardizer
	if _, err := s.Apply(tiny(2, 2)); !errors.Is(err, ErrNotFitted) {
		t.Fatalf("apply before fit: %v", err)
	}
	if err := s.Fit(&Dataset{Shape: Shape{1, 1, 1}, NumClasses: 1}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("fit on empty: %v", err)
	}
	if err := s.Fit(tiny(3, 2)); err != nil {
		t.Fatal(err)
	}
	other := &Dataset{X: make([]float32, 4), Y: []int{0}, Shape: Shape{1, 2, 2}, NumClasses: 1}
	if _, err := s.Apply(other); !errors.Is(err, ErrShape) {
		t.Fatalf("apply to other shape: %v", err)
	}
	for _, bad := range []Standardizer{{Mode: 7}, {Epsilon: -1}, {Epsilon: math.NaN()}} {
		if err := bad.Fit(tiny(3, 2)); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
}

// TestStandardizerMNIST checks fitted statistics of the real training set
// against numpy (float64 over the uint8 pixels / 255):
//
//	x = np.frombuffer(gzip.open('train-images-idx3-ubyte.gz').read()[16:], np.uint8).reshape(60000, 784) / 255
//	x.mean(), x.std()                 # 0.1306604762738429 0.3081078038564622
//	(x.std(0) == 0).sum()             # 67
//	x[:, 400].mean(), x[:, 400].std() # 0.28921810457516345 0.4088910843629471
func TestStandardizerMNIST(t *testing.T) {
	m := loadFullMNIST(t)
	global := Standardizer{Mode: Global}
	if err := global.Fit(m.Train); err != nil {
		t.Fatal(err)
	}
	if !near(float64(global.Mean[0]), 0.1306604762738429, 1e-7) || !near(float64(global.Scale[0]), 0.3081078038564622, 1e-7) {
		t.Fatalf("global mean %v sd %v", global.Mean[0], global.Scale[0])
	}
	var per Standardizer
	if err := per.Fit(m.Train); err != nil {
		t.Fatal(err)
	}
	ones := 0
	for _, s := range per.Scale {
		if s == 1 {
			ones++
		}
	}
	if ones != 67 {
		t.Fatalf("%d zero-variance pixels, numpy counts 67", ones)
	}
	if !near(float64(per.Mean[400]), 0.28921810457516345, 1e-7) || !near(float64(per.Scale[400]), 0.4088910843629471, 1e-7) {
		t.Fatalf("pixel 400: mean %v sd %v", per.Mean[400], per.Scale[400])
	}
	// Applied to the training set the non-constant features have mean 0
	// and sd 1; the test set keeps the training statistics.
	z, err := per.Apply(m.Train)
	if err != nil {
		t.Fatal(err)
	}
	s := Standardizer{}
	if err := s.Fit(z); err != nil {
		t.Fatal(err)
	}
	for j := range s.Mean {
		if !near(float64(s.Mean[j]), 0, 1e-5) || (per.Scale[j] != 1 && !near(float64(s.Scale[j]), 1, 1e-4)) {
			t.Fatalf("feature %d after standardizing: mean %v sd %v", j, s.Mean[j], s.Scale[j])
		}
	}
	zt, err := per.Apply(m.Test)
	if err != nil {
		t.Fatal(err)
	}
	j := 400
	want := (m.Test.X[j] - per.Mean[j]) / per.Scale[j]
	if zt.X[j] != want {
		t.Fatalf("test pixel %d: %v, want %v", j, zt.X[j], want)
	}
}
