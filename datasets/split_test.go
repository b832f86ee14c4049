package datasets

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pkg/errors"
)

func pcg(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// checkPartition fails unless train and val are disjoint, sorted and
// together cover 0..n-1 exactly once.
func checkPartition(t *testing.T, n int, train, val []int) {
	t.Helper()
	seen := make([]int, n)
	for _, part := range [][]int{train, val} {
		if !slices.IsSorted(part) {
			t.Fatal("indices not sorted")
		}
		for _, i := range part {
			if i < 0 || i >= n {
				t.Fatalf("index %d outside 0..%d", i, n-1)
			}
			seen[i]++
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("sample %d appears %d times", i, c)
		}
	}
}

func TestHeldOutCount(t *testing.T) {
	// Keras: split_at = int(n * (1 - validation_split)); held out n - split_at.
	tests := []struct {
		n    int
		frac float64
		want int
	}{
		{60000, 0.1, 6000},
		{60000, 1.0 / 12, 5000},
		{10, 0.25, 3}, // int(7.5) = 7
		{7, 0.5, 4},   // int(3.5) = 3
		{500, 0.1, 50},
		{5, 0, 0},
		{3, 0.01, 1}, // int(2.97) = 2
	}
	for _, tt := range tests {
		if got := HeldOutCount(tt.n, tt.frac); got != tt.want {
			t.Errorf("HeldOutCount(%d, %v) = %d, want %d", tt.n, tt.frac, got, tt.want)
		}
	}
}

func TestTailSplit(t *testing.T) {
	train, val, err := TailSplit(10, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train, []int{0, 1, 2, 3, 4, 5, 6}) || !slices.Equal(val, []int{7, 8, 9}) {
		t.Fatalf("train %v val %v", train, val)
	}
	checkPartition(t, 10, train, val)
}

func TestSplitRejects(t *testing.T) {
	labels := []int{0, 1, 0, 1}
	tests := []struct {
		name string
		frac float64
		n    int
		rng  *rand.Rand
		kind error
	}{
		{"frac 1", 1, 4, pcg(1), ErrConfig},
		{"frac 1.5", 1.5, 4, pcg(1), ErrConfig},
		{"negative", -0.1, 4, pcg(1), ErrConfig},
		{"NaN", math.NaN(), 4, pcg(1), ErrConfig},
		{"no training sample left", 0.99, 4, pcg(1), ErrConfig},
		{"empty", 0.5, 0, pcg(1), ErrEmpty},
		{"nil rng", 0.5, 4, nil, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := StratifiedSplit(labels[:tt.n], 2, tt.frac, tt.rng)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("stratified: error %v, want %v", err, tt.kind)
			}
			if tt.rng != nil {
				if _, _, err := TailSplit(tt.n, tt.frac); !errors.Is(err, tt.kind) {
					t.Fatalf("tail: error %v, want %v", err, tt.kind)
				}
			}
		})
	}
	if _, _, err := StratifiedSplit([]int{0, 3}, 2, 0.5, pcg(1)); !errors.Is(err, ErrLabelRange) {
		t.Fatalf("label out of range: %v", err)
	}
	if _, err := ParseSplitMethod("random"); !errors.Is(err, ErrConfig) {
		t.Fatalf("ParseSplitMethod(random): %v", err)
	}
}

func TestStratifiedSplit(t *testing.T) {
	// Imbalanced labels: the real MNIST subset (500 samples) and a
	// hand-made set with a class of one sample.
	m, err := LoadMNIST(context.Background(), MNISTOptions{Dir: subsetDir})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		labels  []int
		classes int
		frac    float64
	}{
		{"mnist subset 10%", m.Train.Y, 10, 0.1},
		{"mnist subset 1/3", m.Train.Y, 10, 1.0 / 3},
		{"mnist subset 0", m.Train.Y, 10, 0},
		{"tiny", []int{0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2}, 3, 0.3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.labels)
			train, val, err := StratifiedSplit(tc.labels, tc.classes, tc.frac, pcg(7))
			if err != nil {
				t.Fatal(err)
			}
			checkPartition(t, n, train, val)
			if len(val) != HeldOutCount(n, tc.frac) {
				t.Fatalf("%d held out, want %d", len(val), HeldOutCount(n, tc.frac))
			}
			all := classCounts(tc.labels, tc.classes)
			got := classCounts(pick(tc.labels, val), tc.classes)
			for c := range all {
				exact := float64(len(val)) * float64(all[c]) / float64(n)
				if math.Abs(float64(got[c])-exact) >= 1 {
					t.Errorf("class %d: %d held out, exact share %.3f", c, got[c], exact)
				}
			}
			again, againVal, _ := StratifiedSplit(tc.labels, tc.classes, tc.frac, pcg(7))
			if !slices.Equal(train, again) || !slices.Equal(val, againVal) {
				t.Fatal("same seed, different split")
			}
			if len(val) > 0 {
				_, other, _ := StratifiedSplit(tc.labels, tc.classes, tc.frac, pcg(8))
				if slices.Equal(val, other) {
					t.Fatal("seeds 7 and 8 give the same split")
				}
			}
		})
	}
}

func pick(labels, idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = labels[i]
	}
	return out
}

// TestStratifiedSplitUniform: within a class every sample is held out with
// probability k/n_c. 10 samples, 3 held out, 3000 seeds: each count is
// Binomial(3000, 0.3), mean 900, sd 25.1; the bound is 5 sd.
func TestStratifiedSplitUniform(t *testing.T) {
	labels := make([]int, 10)
	counts := make([]int, 10)
	for seed := uint64(0); seed < 3000; seed++ {
		_, val, err := StratifiedSplit(labels, 1, 0.3, pcg(seed))
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range val {
			counts[i]++
		}
	}
	for i, c := range counts {
		if math.Abs(float64(c)-900) > 5*math.Sqrt(3000*0.3*0.7) {
			t.Errorf("sample %d held out %d times of 3000, expected 900", i, c)
		}
	}
}

func TestDatasetSplit(t *testing.T) {
	d := tiny(20, 4)
	for _, method := range []SplitMethod{SplitStratified, SplitTail} {
		t.Run(string(method), func(t *testing.T) {
			train, val, err := d.Split(method, 0.25, pcg(3))
			if err != nil {
				t.Fatal(err)
			}
			if train.Len() != 15 || val.Len() != 5 {
				t.Fatalf("%d/%d", train.Len(), val.Len())
			}
			// Features encode the index (i*10 in column 0): recover them.
			var idx []int
			for _, part := range []*Dataset{train, val} {
				for i := 0; i < part.Len(); i++ {
					k := int(part.Row(i)[0]) / 10
					if part.Y[i] != d.Y[k] {
						t.Fatalf("label of sample %d moved", k)
					}
					idx = append(idx, k)
				}
			}
			slices.Sort(idx)
			for i := range idx {
				if idx[i] != i {
					t.Fatalf("samples %v, want 0..19 once each", idx)
				}
			}
			if method == SplitTail && val.Row(0)[0] != 150 {
				t.Fatalf("tail split starts at sample %v, want 15", val.Row(0)[0]/10)
			}
		})
	}
	if _, _, err := d.Split("bogus", 0.1, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("bogus method: %v", err)
	}
}
