package vmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
)

// kernelCase is one element-wise kernel (run) and the Go loop it must
// match bit for bit (ref), both over slices s of one length, float64
// accumulators a of that length, and scalars k.
type kernelCase[T Float] struct {
	name                 string
	slices, acc, scalars int
	run, ref             func(s [][]T, a [][]float64, k []T)
}

// dataScalars are the kernels whose scalars come from data (a mean, a
// bias, a scale) and so may be any value.
var dataScalars = map[string]bool{"AddScalar": true, "Scale": true, "AffineScalar": true, "BNDxScalar": true}

func kernelCases[T Float]() []kernelCase[T] {
	return []kernelCase[T]{
		{"Momentum", 3, 0, 3,
			func(s [][]T, _ [][]float64, k []T) { Momentum(s[0], s[1], s[2], k[0], k[1], k[2]) },
			func(s [][]T, _ [][]float64, k []T) { momentumGo(s[0], s[1], s[2], k[0], k[1], k[2]) }},
		{"MomentumDecay", 3, 0, 4,
			func(s [][]T, _ [][]float64, k []T) { MomentumDecay(s[0], s[1], s[2], k[0], k[1], k[2], k[3]) },
			func(s [][]T, _ [][]float64, k []T) { momentumDecayGo(s[0], s[1], s[2], k[0], k[1], k[2], k[3]) }},
		{"SGD", 2, 0, 1,
			func(s [][]T, _ [][]float64, k []T) { SGD(s[0], s[1], k[0]) },
			func(s [][]T, _ [][]float64, k []T) { sgdGo(s[0], s[1], k[0]) }},
		{"SGDDecay", 2, 0, 2,
			func(s [][]T, _ [][]float64, k []T) { SGDDecay(s[0], s[1], k[0], k[1]) },
			func(s [][]T, _ [][]float64, k []T) { sgdDecayGo(s[0], s[1], k[0], k[1]) }},
		{"Add", 3, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { Add(s[0], s[1], s[2]) },
			func(s [][]T, _ [][]float64, _ []T) { addGo(s[0], s[1], s[2]) }},
		{"AddInPlace", 2, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { Add(s[0], s[0], s[1]) },
			func(s [][]T, _ [][]float64, _ []T) { addGo(s[0], s[0], s[1]) }},
		{"Mul", 3, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { Mul(s[0], s[1], s[2]) },
			func(s [][]T, _ [][]float64, _ []T) { mulGo(s[0], s[1], s[2]) }},
		{"SigmoidGrad", 3, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { SigmoidGrad(s[0], s[1], s[2]) },
			func(s [][]T, _ [][]float64, _ []T) { sigmoidGradGo(s[0], s[1], s[2]) }},
		{"BNDx", 7, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { BNDx(s[0], s[1], s[2], s[3], s[4], s[5], s[6]) },
			func(s [][]T, _ [][]float64, _ []T) { bnDxGo(s[0], s[1], s[2], s[3], s[4], s[5], s[6]) }},
		{"AddWiden", 1, 1, 0,
			func(s [][]T, a [][]float64, _ []T) { AddWiden(a[0], s[0]) },
			func(s [][]T, a [][]float64, _ []T) { addWidenGo(a[0], s[0]) }},
		{"AddSquaredDiff", 1, 2, 0,
			func(s [][]T, a [][]float64, _ []T) { AddSquaredDiff(a[0], a[1], s[0]) },
			func(s [][]T, a [][]float64, _ []T) { addSquaredDiffGo(a[0], a[1], s[0]) }},
		{"AddGradMoments", 3, 2, 0,
			func(s [][]T, a [][]float64, _ []T) { AddGradMoments(a[0], a[1], s[0], s[1], s[2]) },
			func(s [][]T, a [][]float64, _ []T) { addGradMomentsGo(a[0], a[1], s[0], s[1], s[2]) }},
		{"AddScalar", 2, 0, 1,
			func(s [][]T, _ [][]float64, k []T) { AddScalar(s[0], s[1], k[0]) },
			func(s [][]T, _ [][]float64, k []T) { addScalarGo(s[0], s[1], k[0]) }},
		{"Scale", 2, 0, 1,
			func(s [][]T, _ [][]float64, k []T) { Scale(s[0], s[1], k[0]) },
			func(s [][]T, _ [][]float64, k []T) { scaleGo(s[0], s[1], k[0]) }},
		{"AffineScalar", 2, 0, 3,
			func(s [][]T, _ [][]float64, k []T) { AffineScalar(s[0], s[1], k[0], k[1], k[2]) },
			func(s [][]T, _ [][]float64, k []T) { affineScalarGo(s[0], s[1], k[0], k[1], k[2]) }},
		{"BNDxScalar", 3, 0, 4,
			func(s [][]T, _ [][]float64, k []T) { BNDxScalar(s[0], s[1], s[2], k[0], k[1], k[2], k[3]) },
			func(s [][]T, _ [][]float64, k []T) { bnDxScalarGo(s[0], s[1], s[2], k[0], k[1], k[2], k[3]) }},
		{"NormScale", 4, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { NormScale(s[0], s[1], s[2], s[3]) },
			func(s [][]T, _ [][]float64, _ []T) { normScaleGo(s[0], s[1], s[2], s[3]) }},
		{"NormAffine", 5, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { NormAffine(s[0], s[1], s[2], s[3], s[4]) },
			func(s [][]T, _ [][]float64, _ []T) { normAffineGo(s[0], s[1], s[2], s[3], s[4]) }},
		{"ReLU", 2, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { ReLU(s[0], s[1]) },
			func(s [][]T, _ [][]float64, _ []T) { reluGo(s[0], s[1]) }},
		{"ReLUGrad", 3, 0, 0,
			func(s [][]T, _ [][]float64, _ []T) { ReLUGrad(s[0], s[1], s[2]) },
			func(s [][]T, _ [][]float64, _ []T) { reluGradGo(s[0], s[1], s[2]) }},
	}
}

// bitsOf returns the bits of v.
func bitsOf[T Float](v T) uint64 {
	switch v := any(v).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	case float64:
		return math.Float64bits(v)
	}
	return 0
}

// fromBits returns the T with the low bits of b.
func fromBits[T Float](b uint64) T {
	var z T
	switch any(z).(type) {
	case float32:
		return T(math.Float32frombits(uint32(b)))
	}
	return T(math.Float64frombits(b))
}

// specials are inputs on which IEEE arithmetic and the comparisons have
// their corner cases: signed zeros and infinities, quiet and signalling
// NaNs of either sign with different payloads (where two NaNs meet, x86
// returns the first operand's, so these catch a swapped operand order),
// subnormals and the extremes of the normal range.
func specials[T Float]() []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return bitsList[T](0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
			0x7fc12345, 0xffe54321, 0x7f812345, 0xff854321, 0x00000001, 0x80000001,
			0x007fffff, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000)
	}
	return bitsList[T](0, 1<<63, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
		0xfff8000000000000, 0x7ff8000012345678, 0xfffc000087654321, 0x7ff0000012345678,
		0xfff4000087654321, 1, 1<<63|1, 0x000fffffffffffff, 0x800fffffffffffff,
		0x0010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff, 0x3ff0000000000000)
}

func bitsList[T Float](bits ...uint64) []T {
	v := make([]T, len(bits))
	for i, b := range bits {
		v[i] = fromBits[T](b)
	}
	return v
}

// fill sets s to a mixture of ordinary values, specials and random bit
// patterns (every exponent, NaNs and subnormals among them).
func fill[T Float](r *rand.Rand, s []T) {
	sp := specials[T]()
	for i := range s {
		switch r.IntN(3) {
		case 0:
			s[i] = T(r.NormFloat64())
		case 1:
			s[i] = sp[r.IntN(len(sp))]
		default:
			s[i] = fromBits[T](r.Uint64())
		}
	}
}

// TestKernelsMatchGo: every kernel gives the bits of its Go loop (ref) on
// every length 0…200 and a few large ones, at unaligned offsets, and leaves
// the elements around the slices alone.
func TestKernelsMatchGo(t *testing.T) {
	t.Run("float32", testKernelsMatchGo[float32])
	t.Run("float64", testKernelsMatchGo[float64])
}

func testKernelsMatchGo[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{1000, 4099, 65537}
	for n := 0; n <= 200; n++ {
		lengths = append(lengths, n)
	}
	for _, kc := range kernelCases[T]() {
		t.Run(kc.name, func(t *testing.T) {
			for _, n := range lengths {
				off := r.IntN(4)
				const guard = 8
				got, want := make([][]T, kc.slices), make([][]T, kc.slices)
				gs, ws := make([][]T, kc.slices), make([][]T, kc.slices)
				for j := range got {
					got[j] = make([]T, off+n+guard)
					fill(r, got[j])
					want[j] = append([]T(nil), got[j]...)
					gs[j], ws[j] = got[j][off:off+n], want[j][off:off+n]
				}
				gotA, wantA := make([][]float64, kc.acc), make([][]float64, kc.acc)
				gas, was := make([][]float64, kc.acc), make([][]float64, kc.acc)
				for j := range gotA {
					gotA[j] = make([]float64, off+n+guard)
					fill(r, gotA[j])
					wantA[j] = append([]float64(nil), gotA[j]...)
					gas[j], was[j] = gotA[j][off:off+n], wantA[j][off:off+n]
				}
				// Scalars as SGD's (−lr, weight decay, momentum, 1 −
				// dampening), or as the inputs for the kernels whose scalars
				// come from data (a mean, a bias).
				k := make([]T, kc.scalars)
				for j := range k {
					k[j] = T(r.Float64())
				}
				if len(k) > 0 {
					k[0] = -k[0]
				}
				if dataScalars[kc.name] {
					fill(r, k)
				}
				kc.run(gs, gas, k)
				kc.ref(ws, was, k)
				for j := range got {
					for i := range got[j] {
						if g, w := bitsOf(got[j][i]), bitsOf(want[j][i]); g != w {
							t.Fatalf("n=%d off=%d: slice %d element %d: %#x, Go loop %#x", n, off, j, i-off, g, w)
						}
					}
				}
				for j := range gotA {
					for i := range gotA[j] {
						if g, w := bitsOf(gotA[j][i]), bitsOf(wantA[j][i]); g != w {
							t.Fatalf("n=%d off=%d: accumulator %d element %d: %#x, Go loop %#x", n, off, j, i-off, g, w)
						}
					}
				}
			}
		})
	}
}

// TestKernelsNoAlloc: the generic dispatch does not allocate.
func TestKernelsNoAlloc(t *testing.T) {
	w, g, b := make([]float32, 100), make([]float32, 100), make([]float32, 100)
	if a := testing.AllocsPerRun(10, func() { Momentum(w, g, b, -0.1, 0.9, 1) }); a != 0 {
		t.Errorf("Momentum: %v allocations", a)
	}
	if a := testing.AllocsPerRun(10, func() { ReLU(w, g) }); a != 0 {
		t.Errorf("ReLU: %v allocations", a)
	}
}

var sinkF32 []float32

// BenchmarkKernels times each kernel against its Go loop on n elements:
// 1 000 000 (parameters of mlp's 800×800 layer: memory-bound), 102 400
// (mlp's hidden activations at batch 128: in L2) and 800 (a bias row: in L1).
func BenchmarkKernels(b *testing.B) {
	for _, n := range []int{800, 102400, 1000000} {
		for _, kc := range kernelCases[float32]() {
			s, a := make([][]float32, kc.slices), make([][]float64, kc.acc)
			r := rand.New(rand.NewPCG(1, 2))
			for j := range s {
				s[j] = make([]float32, n)
				for i := range s[j] {
					s[j][i] = float32(r.NormFloat64())
				}
			}
			for j := range a {
				a[j] = make([]float64, n)
			}
			k := []float32{-0.01, 1e-4, 0.9, 1}[:kc.scalars]
			if kc.scalars == 3 {
				k = []float32{-0.01, 0.9, 1}
			}
			for _, impl := range []struct {
				name string
				f    func(s [][]float32, a [][]float64, k []float32)
			}{{"vec", kc.run}, {"go", kc.ref}} {
				b.Run(fmt.Sprintf("%s/n=%d/%s", kc.name, n, impl.name), func(b *testing.B) {
					b.ReportAllocs()
					for range b.N {
						impl.f(s, a, k)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
				})
			}
			sinkF32 = s[0]
		}
	}
}

// TestGeneratedFilesUpToDate: elem_amd64.s, elem_vec_amd64.go and
// elem_vec_other.go are what gen_elem.go writes.
func TestGeneratedFilesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	out, err := exec.Command("go", "run", "gen_elem.go", "-check").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
