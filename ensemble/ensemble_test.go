package ensemble_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/ensemble"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

var subset struct {
	once sync.Once
	m    *datasets.MNIST
	err  error
}

// loadSubset loads the 500/200-image MNIST subset committed in testdata.
func loadSubset(t *testing.T) *datasets.MNIST {
	t.Helper()
	subset.once.Do(func() {
		subset.m, subset.err = datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: filepath.Join("..", "testdata", "mnist")})
	})
	if subset.err != nil {
		t.Fatal(subset.err)
	}
	return subset.m
}

// smallMLP builds member i: a 784-32-10 ReLU MLP trained 2 epochs by SGD
// with momentum, hidden dropout 0.2 (so the dropout masks depend on the seed
// too).
func smallMLP(t *testing.T) ensemble.Builder {
	return func(i int, seed uint64) (training.Model, training.Config, error) {
		e, err := models.Lookup("mlp")
		if err != nil {
			return nil, training.Config{}, err
		}
		cfg := e.Recipe.Config
		cfg.Hidden, cfg.HiddenDropout = []int{32}, 0.2
		m, err := e.Build(cfg, seed)
		if err != nil {
			return nil, training.Config{}, err
		}
		opt, err := training.NewSGD(training.SGDConfig{LR: 0.05, Momentum: 0.9})
		if err != nil {
			return nil, training.Config{}, err
		}
		return m, training.Config{Epochs: 2, BatchSize: 50, Optimizer: opt}, nil
	}
}

func weights(m training.Model) [][]float64 {
	var out [][]float64
	for _, v := range m.Store().Vars() {
		out = append(out, v.Float64s())
	}
	return out
}

// TestTrainConcurrentIsSequential trains 3 members on 3 goroutines and one
// at a time, independent and bagged: the same bits either way, and members
// that differ from each other.
func TestTrainConcurrentIsSequential(t *testing.T) {
	d := loadSubset(t)
	for _, method := range []ensemble.Method{ensemble.Independent, ensemble.Bagging} {
		t.Run(method.String(), func(t *testing.T) {
			run := func(workers int) []*ensemble.Member {
				ms, err := ensemble.Train(context.Background(), smallMLP(t), d.Train, nil,
					ensemble.Config{Members: 3, Method: method, Seed: 7, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				return ms
			}
			seq, con := run(1), run(3)
			for i := range seq {
				a, b := weights(seq[i].Model), weights(con[i].Model)
				for j := range a {
					if !slices.Equal(a[j], b[j]) {
						t.Fatalf("member %d: variable %d differs between 1 and 3 workers", i, j)
					}
				}
				if seq[i].Seed != uint64(7+i) {
					t.Errorf("member %d: seed %d, want %d", i, seq[i].Seed, 7+i)
				}
				if got := seq[i].Train.Len(); got != d.Train.Len() {
					t.Errorf("member %d trained on %d samples, want %d", i, got, d.Train.Len())
				}
			}
			if slices.Equal(weights(seq[0].Model)[0], weights(seq[1].Model)[0]) {
				t.Error("members 0 and 1 have the same weights")
			}
			rep, err := ensemble.Evaluate(context.Background(), []training.Model{seq[0].Model, seq[1].Model, seq[2].Model}, d.Test, ensemble.Arithmetic, training.EvalOptions{BatchSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			for k, m := range []training.Model{seq[0].Model, seq[1].Model, seq[2].Model} {
				ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: 100})
				if err != nil {
					t.Fatal(err)
				}
				met, err := ev.Evaluate(context.Background(), d.Test, false)
				ev.Close()
				if err != nil {
					t.Fatal(err)
				}
				if rep.MemberAccuracies[k] != met.Accuracy || math.Abs(rep.MemberLosses[k]-met.Loss) > 1e-6 {
					t.Errorf("member %d: accuracy %v loss %v, Evaluator %v %v", k, rep.MemberAccuracies[k], rep.MemberLosses[k], met.Accuracy, met.Loss)
				}
			}
			t.Logf("%s: ensemble accuracy %.3f, members %v, disagreement %.3f", method, rep.Accuracy, rep.MemberAccuracies, rep.Disagreement)
		})
	}
}

// TestBootstrap checks that a bootstrap resample is a pure function of its
// seed and leaves out about (1−1/n)^n ≈ 1/e of the samples: for n = 10,000
// the expected number of distinct indices is n·(1−(1−1/n)^n) ≈ 6321.4 with
// a standard deviation under 30, so 6321 ± 150.
func TestBootstrap(t *testing.T) {
	const n = 10000
	a, b := ensemble.Bootstrap(n, 3), ensemble.Bootstrap(n, 3)
	if !slices.Equal(a, b) || slices.Equal(a, ensemble.Bootstrap(n, 4)) {
		t.Fatal("bootstrap is not a function of its seed")
	}
	seen := map[int]bool{}
	for _, i := range a {
		if i < 0 || i >= n {
			t.Fatalf("index %d out of range", i)
		}
		seen[i] = true
	}
	want := n * (1 - math.Pow(1-1.0/n, n))
	if math.Abs(float64(len(seen))-want) > 150 {
		t.Errorf("%d distinct indices, want %.0f ± 150", len(seen), want)
	}
}

// TestCombine checks both averages on two members by hand:
// p1 = (0.8, 0.2), p2 = (0.5, 0.5): arithmetic (0.65, 0.35); geometric
// ∝ (√0.4, √0.1) = (2, 1)·√0.1, normalised (2/3, 1/3).
func TestCombine(t *testing.T) {
	probs := [][]float64{{0.8, 0.2, 1, 0}, {0.5, 0.5, 1, 0}}
	for _, tc := range []struct {
		c    ensemble.Combine
		want []float64
	}{
		{ensemble.Arithmetic, []float64{0.65, 0.35, 1, 0}},
		{ensemble.Geometric, []float64{2.0 / 3, 1.0 / 3, 1, 0}},
	} {
		got, err := ensemble.CombineProbs(probs, 2, tc.c)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-15 {
				t.Errorf("%v: %v, want %v", tc.c, got, tc.want)
				break
			}
		}
	}
	rep, err := ensemble.Score(probs, []int{1, 0}, ensemble.Geometric)
	if err != nil {
		t.Fatal(err)
	}
	// Member 0 predicts (0, 0), member 1 (0, 0): no disagreement; the
	// ensemble predicts (0, 0): accuracy 1/2, loss −(log(1/3) + log 1)/2.
	if rep.Disagreement != 0 || rep.Accuracy != 0.5 || math.Abs(rep.Loss-math.Log(3)/2) > 1e-15 {
		t.Errorf("report %+v", rep)
	}
	rep, err = ensemble.Score([][]float64{{0.8, 0.2}, {0.1, 0.9}, {0.4, 0.6}}, []int{1}, ensemble.Arithmetic)
	if err != nil {
		t.Fatal(err)
	}
	// predictions 0, 1, 1: pairs (0,1) and (0,2) disagree, (1,2) agree.
	if math.Abs(rep.Disagreement-2.0/3) > 1e-15 {
		t.Errorf("disagreement %v, want 2/3", rep.Disagreement)
	}
}

func TestTrainErrors(t *testing.T) {
	d := loadSubset(t)
	if _, err := ensemble.Train(context.Background(), smallMLP(t), d.Train, nil, ensemble.Config{}); err == nil {
		t.Error("0 members: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ensemble.Train(ctx, smallMLP(t), d.Train, nil, ensemble.Config{Members: 2}); err == nil {
		t.Error("cancelled: no error")
	}
}
