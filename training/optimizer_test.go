package training

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// randDense returns a tensor of dtype dt with standard normal entries.
func randDense(rng *rand.Rand, dt tensor.Dtype, shape ...int) *tensor.Dense {
	n := tensor.Shape(shape).TotalSize()
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return asType(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x)), dt)
}

// bits returns the IEEE bit patterns of a float tensor's elements.
func bits(d *tensor.Dense) []uint64 {
	var out []uint64
	if d.Dtype() == tensor.Float32 {
		for _, v := range d.Float32s() {
			out = append(out, uint64(math.Float32bits(v)))
		}
		return out
	}
	for _, v := range d.Float64s() {
		out = append(out, math.Float64bits(v))
	}
	return out
}

func sameBits(a, b *tensor.Dense) bool {
	x, y := bits(a), bits(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// optimizerCases are configurations that exercise every state slot.
var optimizerCases = []struct {
	name string
	make func() (Optimizer, error)
}{
	{"sgd", func() (Optimizer, error) { return NewSGD(SGDConfig{LR: 0.1}) }},
	{"sgd-momentum-wd", func() (Optimizer, error) {
		return NewSGD(SGDConfig{LR: 0.05, Momentum: 0.9, Dampening: 0.1, WeightDecay: 1e-2})
	}},
	{"sgd-nesterov", func() (Optimizer, error) { return NewSGD(SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true}) }},
	{"adam-wd", func() (Optimizer, error) { return NewAdam(AdamConfig{LR: 1e-2, WeightDecay: 1e-2}) }},
	{"adam-amsgrad", func() (Optimizer, error) { return NewAdam(AdamConfig{AMSGrad: true}) }},
	{"adamw", func() (Optimizer, error) { return NewAdamW(AdamWConfig{LR: 1e-2}) }},
	{"adamw-amsgrad", func() (Optimizer, error) { return NewAdamW(AdamWConfig{WeightDecay: 0.1, AMSGrad: true}) }},
}

// trainRun holds parameters and a fixed sequence of gradients.
type trainRun struct {
	params []Param
	grads  [][]*tensor.Dense // grads[step][param]
}

func newTrainRun(dt tensor.Dtype, steps int) *trainRun {
	rng := rand.New(rand.NewPCG(1, 2))
	r := &trainRun{params: []Param{
		{Name: "fc1/W", Value: randDense(rng, dt, 3, 4), Decay: true},
		{Name: "fc1/b", Value: randDense(rng, dt, 4)},
		{Name: "bn/gamma", Value: randDense(rng, dt)}, // a scalar
	}}
	for range steps {
		var gs []*tensor.Dense
		for _, p := range r.params {
			gs = append(gs, randDense(rng, dt, p.Value.Shape()...))
		}
		r.grads = append(r.grads, gs)
	}
	return r
}

func (r *trainRun) step(t *testing.T, opt Optimizer, k int) {
	t.Helper()
	for i := range r.params {
		r.params[i].Grad = r.grads[k][i]
	}
	if err := opt.Step(r.params); err != nil {
		t.Fatalf("step %d: %v", k, err)
	}
}

// TestResumeIsBitIdentical runs 5 steps straight, and 2 steps, a state
// copy into a fresh optimizer, then 3 steps; the parameters must agree bit
// for bit. The first optimizer keeps stepping after State(), so a shallow
// state copy would make the resumed run diverge.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, tc := range optimizerCases {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(tc.name+"/"+dt.String(), func(t *testing.T) {
				straight, resumed := newTrainRun(dt, 5), newTrainRun(dt, 5)
				a, _ := tc.make()
				for k := range 5 {
					straight.step(t, a, k)
				}
				b, _ := tc.make()
				for k := range 2 {
					resumed.step(t, b, k)
				}
				saved := b.State()
				for k := 2; k < 5; k++ { // b goes on; saved must not change
					resumed.step(t, b, k)
				}
				fresh, _ := tc.make()
				fresh.SetLR(123) // LoadState restores the learning rate
				if err := fresh.LoadState(saved); err != nil {
					t.Fatal(err)
				}
				// again reaches step 2 with its own optimizer, then
				// continues with the one that loaded b's saved state.
				again := newTrainRun(dt, 5)
				c, _ := tc.make()
				for k := range 2 {
					again.step(t, c, k)
				}
				for k := 2; k < 5; k++ {
					again.step(t, fresh, k)
				}
				for i := range straight.params {
					if !sameBits(straight.params[i].Value, again.params[i].Value) {
						t.Errorf("%s: resumed run differs: %v vs %v", straight.params[i].Name,
							again.params[i].Value, straight.params[i].Value)
					}
					if !sameBits(straight.params[i].Value, resumed.params[i].Value) {
						t.Errorf("%s: uninterrupted runs differ", straight.params[i].Name)
					}
				}
				if fresh.LR() != a.LR() {
					t.Errorf("LR after LoadState %v, want %v", fresh.LR(), a.LR())
				}
			})
		}
	}
}

// TestDecayFlag checks each optimizer's weight decay on a zero gradient,
// where the updates have closed forms, and that Decay=false parameters
// are left alone.
func TestDecayFlag(t *testing.T) {
	const lr, wd = 0.1, 0.5
	w0 := []float64{2, -3}
	for _, tc := range []struct {
		name string
		opt  func() Optimizer
		want []float64 // value after one step with Decay set
	}{
		// SGD, coupled L2: w − lr·λ·w.
		{"sgd", func() Optimizer { o, _ := NewSGD(SGDConfig{LR: lr, WeightDecay: wd}); return o },
			[]float64{2 - lr*wd*2, -3 + lr*wd*3}},
		// Adam, coupled L2: g = λ·w, m̂ = g, √v̂ = |g| at step 1, so
		// w − lr·g/(|g|+ε) ≈ w − lr·sign(w).
		{"adam", func() Optimizer { o, _ := NewAdam(AdamConfig{LR: lr, WeightDecay: wd}); return o },
			[]float64{2 - lr*1/(1+1e-8), -3 + lr*1.5/(1.5+1e-8)}},
		// AdamW, decoupled: w·(1 − lr·λ); the zero gradient gives no Adam
		// step (m = 0).
		{"adamw", func() Optimizer { o, _ := NewAdamW(AdamWConfig{LR: lr, WeightDecay: wd}); return o },
			[]float64{2 * (1 - lr*wd), -3 * (1 - lr*wd)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mk := func() *tensor.Dense {
				return tensor.New(tensor.WithShape(2), tensor.WithBacking(append([]float64(nil), w0...)))
			}
			zero := tensor.New(tensor.WithShape(2), tensor.Of(tensor.Float64))
			decayed, kept := mk(), mk()
			err := tc.opt().Step([]Param{{Name: "W", Value: decayed, Grad: zero, Decay: true}, {Name: "b", Value: kept, Grad: zero.Clone().(*tensor.Dense)}})
			if err != nil {
				t.Fatal(err)
			}
			if e := maxRelErr(decayed.Float64s(), tc.want, 1e-3); e > 1e-15 {
				t.Errorf("decayed %v, want %v", decayed.Float64s(), tc.want)
			}
			if kept.Float64s()[0] != w0[0] || kept.Float64s()[1] != w0[1] {
				t.Errorf("parameter without Decay changed to %v", kept.Float64s())
			}
		})
	}
}

// TestSGDMomentumByHand checks two steps of momentum SGD against values
// worked out from the formula in SGDConfig's documentation.
func TestSGDMomentumByHand(t *testing.T) {
	// w0 = 1, g1 = 1, g2 = 2, lr 0.1, μ 0.5, τ 0.2.
	// step 1: b = g1 = 1 (no dampening), w = 1 − 0.1·1 = 0.9
	// step 2: b = 0.5·1 + 0.8·2 = 2.1, w = 0.9 − 0.21 = 0.69
	// Nesterov (τ = 0): step 1: b = 1, d = 1 + 0.5·1 = 1.5, w = 0.85;
	// step 2: b = 0.5 + 2 = 2.5, d = 2 + 1.25 = 3.25, w = 0.85 − 0.325 = 0.525.
	for _, tc := range []struct {
		cfg  SGDConfig
		want float64
	}{
		{SGDConfig{LR: 0.1, Momentum: 0.5, Dampening: 0.2}, 0.69},
		{SGDConfig{LR: 0.1, Momentum: 0.5, Nesterov: true}, 0.525},
	} {
		o, err := NewSGD(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		w := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
		for _, g := range []float64{1, 2} {
			gt := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{g}))
			if err := o.Step([]Param{{Name: "w", Value: w, Grad: gt}}); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.Float64s()[0]; math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%+v: w = %v, want %v", tc.cfg, got, tc.want)
		}
	}
}

func TestStepErrors(t *testing.T) {
	f64 := func(shape ...int) *tensor.Dense {
		return tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float64))
	}
	f32 := func(shape ...int) *tensor.Dense {
		return tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	}
	ints := tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))
	transposed := f64(2, 3)
	if err := transposed.T(); err != nil {
		t.Fatal(err)
	}
	same := f64(2)
	for _, tc := range []struct {
		name   string
		params []Param
		want   error
	}{
		{"nil value", []Param{{Name: "a", Grad: f64(2)}}, ErrNilTensor},
		{"nil grad", []Param{{Name: "a", Value: f64(2)}}, ErrNilTensor},
		{"shape mismatch", []Param{{Name: "a", Value: f64(2, 3), Grad: f64(3, 2)}}, ErrShapeMismatch},
		{"scalar vs (1)", []Param{{Name: "a", Value: f64(), Grad: f64(1)}}, ErrShapeMismatch},
		{"dtype mismatch", []Param{{Name: "a", Value: f64(2), Grad: f32(2)}}, ErrDtypeMismatch},
		{"int tensor", []Param{{Name: "a", Value: ints, Grad: ints.Clone().(*tensor.Dense)}}, ErrUnsupportedDtype},
		{"view", []Param{{Name: "a", Value: transposed, Grad: f64(3, 2)}}, ErrNotContiguous},
		{"same tensor", []Param{{Name: "a", Value: same, Grad: same}}, ErrShapeMismatch},
		{"no name", []Param{{Value: f64(2), Grad: f64(2)}}, ErrBadParamName},
		{"duplicate", []Param{{Name: "a", Value: f64(2), Grad: f64(2)}, {Name: "a", Value: f64(2), Grad: f64(2)}}, ErrBadParamName},
	} {
		for _, oc := range optimizerCases {
			t.Run(tc.name+"/"+oc.name, func(t *testing.T) {
				opt, _ := oc.make()
				// A valid parameter first: it must not be updated when a
				// later one is bad.
				good := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
				gg := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 1}))
				params := append([]Param{{Name: "good", Value: good, Grad: gg, Decay: true}}, tc.params...)
				err := opt.Step(params)
				if !errors.Is(err, tc.want) {
					t.Fatalf("error %v, want %v", err, tc.want)
				}
				if v := good.Float64s(); v[0] != 1 || v[1] != 2 {
					t.Errorf("valid parameter changed to %v despite the error", v)
				}
				if len(opt.State().Tensors) != 0 {
					t.Errorf("state created despite the error: %v", opt.State().Keys())
				}
			})
		}
	}
}

// TestStateShapeMismatch: a parameter that changes shape under the same
// name is an error, not a panic or a silent reset.
func TestStateShapeMismatch(t *testing.T) {
	for _, oc := range optimizerCases {
		t.Run(oc.name, func(t *testing.T) {
			opt, _ := oc.make()
			if _, ok := opt.(*SGD); ok && opt.(*SGD).Config().Momentum == 0 {
				t.Skip("plain SGD keeps no state")
			}
			mk := func(n int) Param {
				return Param{Name: "w", Value: tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float64)),
					Grad: tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float64))}
			}
			if err := opt.Step([]Param{mk(2)}); err != nil {
				t.Fatal(err)
			}
			if err := opt.Step([]Param{mk(3)}); !errors.Is(err, ErrState) {
				t.Errorf("error %v, want ErrState", err)
			}
		})
	}
}

func TestLoadStateErrors(t *testing.T) {
	run := newTrainRun(tensor.Float64, 1)
	adam, _ := NewAdam(AdamConfig{})
	run.step(t, adam, 0)
	good := adam.State()
	for _, tc := range []struct {
		name   string
		mutate func(*OptimizerState)
	}{
		{"other algorithm", func(s *OptimizerState) { s.Algorithm = AlgorithmSGD }},
		{"bad lr", func(s *OptimizerState) { s.LR = math.NaN() }},
		{"unknown slot", func(s *OptimizerState) { s.Tensors["velocity/fc1/W"] = s.Tensors["exp_avg/fc1/W"] }},
		{"key without param", func(s *OptimizerState) { s.Tensors["exp_avg"] = s.Tensors["exp_avg/fc1/W"] }},
		{"missing exp_avg_sq", func(s *OptimizerState) { delete(s.Tensors, "exp_avg_sq/fc1/W") }},
		{"missing step", func(s *OptimizerState) { delete(s.Steps, "fc1/W") }},
		{"zero step", func(s *OptimizerState) { s.Steps["fc1/W"] = 0 }},
		{"step without tensors", func(s *OptimizerState) { s.Steps["ghost"] = 3 }},
		{"shapes disagree", func(s *OptimizerState) { s.Tensors["exp_avg/fc1/W"] = s.Tensors["exp_avg/fc1/b"] }},
		{"nil tensor", func(s *OptimizerState) { s.Tensors["exp_avg/fc1/W"] = nil }},
		{"amsgrad slot in plain adam", func(s *OptimizerState) { s.Tensors["max_exp_avg_sq/fc1/W"] = s.Tensors["exp_avg/fc1/W"] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good.Clone()
			tc.mutate(&s)
			fresh, _ := NewAdam(AdamConfig{})
			if err := fresh.LoadState(s); err == nil {
				t.Errorf("LoadState accepted a bad state")
			}
		})
	}
	fresh, _ := NewAdam(AdamConfig{})
	if err := fresh.LoadState(good); err != nil {
		t.Errorf("good state: %v", err)
	}
	ams, _ := NewAdam(AdamConfig{AMSGrad: true})
	if err := ams.LoadState(good); !errors.Is(err, ErrState) {
		t.Errorf("AMSGrad optimizer loaded a state without max_exp_avg_sq: %v", err)
	}
}

func TestStateKeys(t *testing.T) {
	run := newTrainRun(tensor.Float32, 1)
	for _, tc := range []struct {
		opt  func() Optimizer
		keys []string
	}{
		{func() Optimizer { o, _ := NewSGD(SGDConfig{}); return o }, nil},
		{func() Optimizer { o, _ := NewSGD(SGDConfig{Momentum: 0.9}); return o },
			[]string{"momentum_buffer/bn/gamma", "momentum_buffer/fc1/W", "momentum_buffer/fc1/b"}},
		{func() Optimizer { o, _ := NewAdamW(AdamWConfig{AMSGrad: true}); return o },
			[]string{"exp_avg/bn/gamma", "exp_avg/fc1/W", "exp_avg/fc1/b", "exp_avg_sq/bn/gamma", "exp_avg_sq/fc1/W", "exp_avg_sq/fc1/b",
				"max_exp_avg_sq/bn/gamma", "max_exp_avg_sq/fc1/W", "max_exp_avg_sq/fc1/b"}},
	} {
		o := tc.opt()
		run.step(t, o, 0)
		got := o.State().Keys()
		if len(got) != len(tc.keys) {
			t.Errorf("keys %v, want %v", got, tc.keys)
			continue
		}
		for i := range got {
			if got[i] != tc.keys[i] {
				t.Errorf("keys %v, want %v", got, tc.keys)
				break
			}
		}
		for _, k := range got {
			if o.State().Tensors[k].Dtype() != tensor.Float32 {
				t.Errorf("%s is not float32", k)
			}
		}
	}
}

func TestOptimizerConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"sgd zero value", SGDConfig{}.Validate(), true},
		{"sgd negative lr", SGDConfig{LR: -1}.Validate(), false},
		{"sgd NaN lr", SGDConfig{LR: math.NaN()}.Validate(), false},
		{"sgd negative momentum", SGDConfig{Momentum: -0.1}.Validate(), false},
		{"sgd dampening > 1", SGDConfig{Momentum: 0.9, Dampening: 1.5}.Validate(), false},
		{"sgd negative wd", SGDConfig{WeightDecay: -1}.Validate(), false},
		{"sgd nesterov without momentum", SGDConfig{Nesterov: true}.Validate(), false},
		{"sgd nesterov with dampening", SGDConfig{Nesterov: true, Momentum: 0.9, Dampening: 0.1}.Validate(), false},
		{"sgd nesterov", SGDConfig{Nesterov: true, Momentum: 0.9}.Validate(), true},
		{"adam zero value", AdamConfig{}.Validate(), true},
		{"adam beta1 = 1", AdamConfig{Beta1: 1}.Validate(), false},
		{"adam beta2 < 0", AdamConfig{Beta2: -0.5}.Validate(), false},
		{"adam negative eps", AdamConfig{Eps: -1}.Validate(), false},
		{"adam inf lr", AdamConfig{LR: math.Inf(1)}.Validate(), false},
		{"adamw zero value", AdamWConfig{}.Validate(), true},
		{"adamw negative wd", AdamWConfig{WeightDecay: -0.01}.Validate(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", tc.err, tc.ok)
			}
			if tc.err != nil && !errors.Is(tc.err, ErrInvalidConfig) {
				t.Errorf("%v is not ErrInvalidConfig", tc.err)
			}
		})
	}
	if _, err := NewSGD(SGDConfig{LR: -1}); err == nil {
		t.Error("NewSGD accepted a bad config")
	}
	if _, err := NewAdam(AdamConfig{Beta1: 2}); err == nil {
		t.Error("NewAdam accepted a bad config")
	}
	if _, err := NewAdamW(AdamWConfig{Eps: -1}); err == nil {
		t.Error("NewAdamW accepted a bad config")
	}
}

func TestDefaults(t *testing.T) {
	s, _ := NewSGD(SGDConfig{})
	a, _ := NewAdam(AdamConfig{})
	w, _ := NewAdamW(AdamWConfig{})
	if c := s.Config(); c.LR != 0.01 {
		t.Errorf("SGD defaults %+v", c)
	}
	if c := a.Config(); c.LR != 1e-3 || c.Beta1 != 0.9 || c.Beta2 != 0.999 || c.Eps != 1e-8 || c.WeightDecay != 0 {
		t.Errorf("Adam defaults %+v", c)
	}
	if c := w.Config(); c.LR != 1e-3 || c.Beta1 != 0.9 || c.Beta2 != 0.999 || c.Eps != 1e-8 || c.WeightDecay != 0.01 {
		t.Errorf("AdamW defaults %+v", c)
	}
}

// TestSmallestNonzeroActsAsZero backs the documented way to ask for β1 = 0:
// with β1 = math.SmallestNonzeroFloat64, m equals the gradient and the
// update is −lr·g/(|g|/√(1−β2^t)+ε) at every step.
func TestSmallestNonzeroActsAsZero(t *testing.T) {
	o, err := NewAdam(AdamConfig{LR: 0.1, Beta1: math.SmallestNonzeroFloat64})
	if err != nil {
		t.Fatal(err)
	}
	w := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
	want := 1.0
	v := 0.0
	for k, g := range []float64{0.5, -2, 3} {
		gt := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{g}))
		if err := o.Step([]Param{{Name: "w", Value: w, Grad: gt}}); err != nil {
			t.Fatal(err)
		}
		v = 0.999*v + 0.001*g*g
		bc2 := math.Sqrt(1 - math.Pow(0.999, float64(k+1)))
		want -= 0.1 * g / (math.Sqrt(v)/bc2 + 1e-8)
	}
	if got := w.Float64s()[0]; math.Abs(got-want) > 1e-14 {
		t.Errorf("w = %v, want %v", got, want)
	}
}

func TestSetLRAffectsStep(t *testing.T) {
	o, _ := NewSGD(SGDConfig{LR: 0.1})
	o.SetLR(0.5)
	w := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
	g := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
	if err := o.Step([]Param{{Name: "w", Value: w, Grad: g}}); err != nil {
		t.Fatal(err)
	}
	if w.Float64s()[0] != 0.5 {
		t.Errorf("w = %v, want 0.5", w.Float64s()[0])
	}
	o.SetLR(0)
	if err := o.Step([]Param{{Name: "w", Value: w, Grad: g}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("step with lr 0: %v", err)
	}
}
