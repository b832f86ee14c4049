package training

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"
)

// The fixtures in testdata/golden/{optim,sched} were made with PyTorch
// 1.13 by tools/golden/make_golden.py; tools/golden/README.md documents
// every case. They are float64; the float32 runs cast the inputs.

const goldenDir = "../testdata/golden"

func readNpy(t *testing.T, path string) *tensor.Dense {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := new(tensor.Dense)
	if err := d.ReadNpy(f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if d.Dtype() != tensor.Float64 {
		t.Fatalf("%s: dtype %v", path, d.Dtype())
	}
	return d
}

// asType returns a copy of a float64 tensor converted to dt.
func asType(d *tensor.Dense, dt tensor.Dtype) *tensor.Dense {
	src := d.Float64s()
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(append([]float64(nil), src...)))
	}
	out := make([]float32, len(src))
	for i, v := range src {
		out[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(out))
}

// toFloat64s returns the elements of a float32 or float64 tensor.
func toFloat64s(d *tensor.Dense) []float64 {
	if d.Dtype() == tensor.Float64 {
		return d.Float64s()
	}
	out := make([]float64, 0, d.Shape().TotalSize())
	for _, v := range d.Float32s() {
		out = append(out, float64(v))
	}
	return out
}

// maxRelErr returns max |got−want| / max(|want|, floor). The floor keeps
// values near zero from dominating; it is far below the fixtures' typical
// magnitudes (≈0.1–2).
func maxRelErr(got, want []float64, floor float64) float64 {
	var m float64
	for i := range want {
		e := math.Abs(got[i]-want[i]) / math.Max(math.Abs(want[i]), floor)
		if math.IsNaN(e) {
			return math.Inf(1)
		}
		m = math.Max(m, e)
	}
	return m
}

// tolerance of each dtype against the float64 fixtures.
var goldenTol = map[tensor.Dtype]float64{tensor.Float64: 1e-12, tensor.Float32: 1e-5}

type optimMeta struct {
	Optimizer       string `json:"optimizer"`
	Steps           int    `json:"steps"`
	Hyperparameters struct {
		LR          float64    `json:"lr"`
		Momentum    float64    `json:"momentum"`
		Dampening   float64    `json:"dampening"`
		Nesterov    bool       `json:"nesterov"`
		WeightDecay float64    `json:"weight_decay"`
		Betas       [2]float64 `json:"betas"`
		Eps         float64    `json:"eps"`
		AMSGrad     bool       `json:"amsgrad"`
		Maximize    bool       `json:"maximize"`
	} `json:"hyperparameters"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// optimizerFor builds the optimizer a fixture's meta.json describes.
func optimizerFor(t *testing.T, m optimMeta) Optimizer {
	t.Helper()
	h := m.Hyperparameters
	if h.Maximize {
		t.Fatal("maximize is not supported")
	}
	var (
		opt Optimizer
		err error
	)
	switch m.Optimizer {
	case "torch.optim.SGD":
		opt, err = NewSGD(SGDConfig{LR: h.LR, Momentum: h.Momentum, Dampening: h.Dampening, Nesterov: h.Nesterov, WeightDecay: h.WeightDecay})
	case "torch.optim.Adam":
		opt, err = NewAdam(AdamConfig{LR: h.LR, Beta1: h.Betas[0], Beta2: h.Betas[1], Eps: h.Eps, WeightDecay: h.WeightDecay, AMSGrad: h.AMSGrad})
	case "torch.optim.AdamW":
		opt, err = NewAdamW(AdamWConfig{LR: h.LR, Beta1: h.Betas[0], Beta2: h.Betas[1], Eps: h.Eps, WeightDecay: h.WeightDecay, AMSGrad: h.AMSGrad})
	default:
		t.Fatalf("unknown optimizer %q", m.Optimizer)
	}
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	cases := []string{"sgd", "sgd_wd", "momentum", "momentum_dampening", "nesterov", "momentum_wd",
		"adam", "adam_wd", "adamw", "adam_amsgrad"}
	for _, name := range cases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				dir := filepath.Join(goldenDir, "optim", name)
				var m optimMeta
				readJSON(t, filepath.Join(dir, "meta.json"), &m)
				if m.Steps != 5 {
					t.Fatalf("steps %d", m.Steps)
				}
				opt := optimizerFor(t, m)
				load := func(a string) *tensor.Dense { return asType(readNpy(t, filepath.Join(dir, a+".npy")), dt) }
				w, b := load("p0"), load("b0")
				// Weight and bias share one torch param group, so decay
				// applies to both in these fixtures.
				params := []Param{{Name: "W", Value: w, Decay: true}, {Name: "b", Value: b, Decay: true}}
				var worst float64
				for k := 1; k <= m.Steps; k++ {
					params[0].Grad = load("g" + itoa(k))
					params[1].Grad = load("gb" + itoa(k))
					if err := opt.Step(params); err != nil {
						t.Fatal(err)
					}
					for _, c := range []struct {
						got  *tensor.Dense
						want string
					}{{w, "p" + itoa(k)}, {b, "b" + itoa(k)}} {
						want := readNpy(t, filepath.Join(dir, c.want+".npy")).Float64s()
						e := maxRelErr(toFloat64s(c.got), want, 1e-3)
						worst = math.Max(worst, e)
						if e > goldenTol[dt] {
							t.Errorf("step %d %s: max relative error %.3g > %g", k, c.want, e, goldenTol[dt])
						}
					}
				}
				t.Logf("max relative error over 5 steps: %.3g", worst)
			})
		}
	}
}

func itoa(k int) string { return string(rune('0' + k)) }

func TestClipMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"clip_norm_above", "clip_norm_below"} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				dir := filepath.Join(goldenDir, "optim", name)
				var m struct {
					MaxNorm float64 `json:"max_norm"`
				}
				readJSON(t, filepath.Join(dir, "meta.json"), &m)
				load := func(a string) *tensor.Dense { return readNpy(t, filepath.Join(dir, a+".npy")) }
				ga, gb := asType(load("g_a"), dt), asType(load("g_b"), dt)
				params := []Param{{Name: "a", Grad: ga}, {Name: "b", Grad: gb}}
				norm, err := ClipGlobalNorm(params, m.MaxNorm)
				if err != nil {
					t.Fatal(err)
				}
				tol := goldenTol[dt]
				if e := maxRelErr([]float64{norm}, load("total_norm").Float64s(), 1e-3); e > tol {
					t.Errorf("norm %v, want %v", norm, load("total_norm").Float64s()[0])
				}
				for _, c := range []struct {
					got  *tensor.Dense
					want string
				}{{ga, "clipped_a"}, {gb, "clipped_b"}} {
					if e := maxRelErr(toFloat64s(c.got), load(c.want).Float64s(), 1e-3); e > tol {
						t.Errorf("%s: max relative error %.3g > %g", c.want, e, tol)
					}
				}
			})
		}
	}
}

func TestSchedulesMatchPyTorch(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Schedule
	}{
		{"step_lr", StepLR{StepSize: 3, Gamma: 0.5}},
		{"exponential_lr", ExponentialLR{Gamma: 0.9}},
		{"cosine_annealing_lr", CosineAnnealingLR{TMax: 10, EtaMin: 0.001}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(goldenDir, "sched", tc.name)
			var m struct {
				BaseLR float64 `json:"base_lr"`
			}
			readJSON(t, filepath.Join(dir, "meta.json"), &m)
			want := readNpy(t, filepath.Join(dir, "lrs.npy")).Float64s()
			got := make([]float64, len(want))
			for e := range want {
				got[e] = tc.s.LR(e, m.BaseLR)
			}
			if e := maxRelErr(got, want, 1e-300); e > 1e-12 {
				t.Errorf("max relative error %.3g\ngot  %v\nwant %v", e, got, want)
			}
		})
	}
}

func TestPlateauMatchesPyTorch(t *testing.T) {
	dir := filepath.Join(goldenDir, "sched", "reduce_lr_on_plateau")
	var m struct {
		BaseLR        float64 `json:"base_lr"`
		Mode          string  `json:"mode"`
		Factor        float64 `json:"factor"`
		Patience      int     `json:"patience"`
		Threshold     float64 `json:"threshold"`
		ThresholdMode string  `json:"threshold_mode"`
		Cooldown      int     `json:"cooldown"`
		MinLR         float64 `json:"min_lr"`
		Eps           float64 `json:"eps"`
	}
	readJSON(t, filepath.Join(dir, "meta.json"), &m)
	p, err := NewReduceLROnPlateau(ReduceLROnPlateauConfig{
		Mode: Mode(m.Mode), Factor: m.Factor, Patience: m.Patience, Threshold: m.Threshold,
		ThresholdMode: ThresholdMode(m.ThresholdMode), Cooldown: m.Cooldown, MinLR: m.MinLR, Eps: m.Eps,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := readNpy(t, filepath.Join(dir, "lrs.npy")).Float64s()
	metrics := readNpy(t, filepath.Join(dir, "metrics.npy")).Float64s()
	lr := m.BaseLR
	for e := range want {
		if lr != want[e] {
			t.Errorf("epoch %d: lr %v, want %v", e, lr, want[e])
		}
		lr, _ = p.Step(metrics[e], lr)
	}
}
