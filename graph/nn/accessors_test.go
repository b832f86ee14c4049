package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gozoo/zoo/graph"
)

// The accessors return what the constructors were given, with the documented
// defaults filled in (pool stride = kernel, conv stride 1, ε = 1e-5).
func TestLayerAccessors(t *testing.T) {
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 0))
	l, err := NewLinear(s, "fc", 3, 4, LinearConfig{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if l.In() != 3 || l.Out() != 4 {
		t.Errorf("linear: in %d out %d, want 3 4", l.In(), l.Out())
	}
	c, err := NewConv2D(s, "conv", 1, 2, [2]int{3, 5}, Conv2DConfig{Padding: [2]int{1, 2}}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kernel() != [2]int{3, 5} || c.Stride() != [2]int{1, 1} || c.Padding() != [2]int{1, 2} {
		t.Errorf("conv: kernel %v stride %v padding %v", c.Kernel(), c.Stride(), c.Padding())
	}
	mp, err := NewMaxPool2D("mp", [2]int{2, 3}, [2]int{}, [2]int{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := NewAvgPool2D("ap", [2]int{2, 2}, [2]int{1, 1}, [2]int{})
	if err != nil {
		t.Fatal(err)
	}
	if !mp.IsMax() || mp.Kernel() != [2]int{2, 3} || mp.Stride() != [2]int{2, 3} || mp.Padding() != [2]int{1, 0} {
		t.Errorf("max pool: max %v kernel %v stride %v padding %v", mp.IsMax(), mp.Kernel(), mp.Stride(), mp.Padding())
	}
	if ap.IsMax() || ap.Stride() != [2]int{1, 1} {
		t.Errorf("avg pool: max %v stride %v", ap.IsMax(), ap.Stride())
	}
	if a := LeakyReLU(0.2, "a"); a.Slope() != 0.2 {
		t.Errorf("leaky relu slope %v, want 0.2", a.Slope())
	}
	if a := ReLU("a"); a.Slope() != 0 || a.Kind() != "relu" {
		t.Errorf("relu: slope %v kind %q", a.Slope(), a.Kind())
	}
	d, err := NewDropout("d", 0.3, WeightScaling)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rate() != 0.3 || d.Scaling() != WeightScaling {
		t.Errorf("dropout: rate %v scaling %v", d.Rate(), d.Scaling())
	}
	bn, err := NewBatchNorm(s, "bn", 4, BatchNormConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if bn.Channels() != 4 || bn.Eps() != 1e-5 {
		t.Errorf("batchnorm: channels %d eps %v", bn.Channels(), bn.Eps())
	}
	gn, err := NewGroupNorm(s, "gn", 6, 3, NormConfig{Eps: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	if gn.Channels() != 6 || gn.Groups() != 3 || gn.Eps() != 1e-3 {
		t.Errorf("groupnorm: channels %d groups %d eps %v", gn.Channels(), gn.Groups(), gn.Eps())
	}
}
