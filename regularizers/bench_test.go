package regularizers

import (
	"math/rand/v2"
	"testing"

	"github.com/gozoo/zoo/graph"
	"gorgonia.org/tensor"
)

// mlpStore declares the weights of a 784-800-800-10 MLP (the speed
// reference) with He-normal values from a fixed seed.
func mlpStore(b *testing.B, dt tensor.Dtype) *graph.Store {
	b.Helper()
	s, err := graph.NewStore(dt)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i, sh := range [][2]int{{784, 800}, {800, 800}, {800, 10}} {
		name := graph.Join("fc"+string(rune('1'+i)), "W")
		if _, err := s.NewParam(graph.ParamSpec{Name: name, Shape: tensor.Shape{sh[0], sh[1]}, Fan: graph.Fan{In: sh[0], Out: sh[1]}, Init: graph.HeNormal}, rng); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

var benchErr error

func benchPostStep(b *testing.B, dt tensor.Dtype, st graph.PostStep) {
	s := mlpStore(b, dt)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchErr = st.AfterStep(s, 0.01)
	}
}

func benchPrune(b *testing.B, scope Scope) {
	s := mlpStore(b, graph.Float32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, benchErr = Prune(s, 0.9, scope, nil)
	}
}

func BenchmarkMaxNormMLP32(b *testing.B)   { benchPostStep(b, graph.Float32, MaxNorm{C: 1}) }
func BenchmarkFrobeniusMLP32(b *testing.B) { benchPostStep(b, graph.Float32, FrobeniusNorm{C: 10}) }
func BenchmarkProxL1MLP32(b *testing.B)    { benchPostStep(b, graph.Float32, ProxL1{Lambda: 1e-4}) }
func BenchmarkPruneGlobalMLP32(b *testing.B) {
	benchPrune(b, Global)
}
func BenchmarkPrunePerLayerMLP32(b *testing.B) { benchPrune(b, PerLayer) }
