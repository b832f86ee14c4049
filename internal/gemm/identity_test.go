package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The optional parts of an arch (the assembly packing of A, the edge
// kernels) move data and pick smaller tiles; they must not change a bit
// of C. These tests compare each arch with a copy of it without them,
// which packs A with the Go loops of packA and runs every tile on the
// full kernel.

// withoutExtras returns a copy of ar that packs A and Aᵀ in Go and has no
// edge, column or strided kernels.
func withoutExtras[T float](ar *arch[T]) *arch[T] {
	plain := *ar
	plain.packA, plain.packAT, plain.edges = nil, nil, nil
	plain.columns, plain.maxColumns, plain.strided = nil, 0, nil
	return &plain
}

// specials are the values mixed into the operands of the identity tests:
// quiet NaNs with payloads, a signalling NaN, infinities, signed zeros,
// subnormals.
func specials[T float]() []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return []T{T(math.Float32frombits(0x7fc00123)), T(math.Float32frombits(0xffc45678)),
			T(math.Float32frombits(0x7f800001)), T(math.Inf(1)), T(math.Inf(-1)),
			T(math.Copysign(0, -1)), 0, T(math.Float32frombits(1)), T(math.Float32frombits(0x807fffff))}
	}
	// T is float64 here: build the values from float64 bits.
	return []T{T(math.Float64frombits(0x7ff8000000000123)), T(math.Float64frombits(0xfff8000000045678)),
		T(math.Float64frombits(0x7ff0000000000001)), T(math.Inf(1)), T(math.Inf(-1)),
		T(math.Copysign(0, -1)), 0, T(math.Float64frombits(1)), T(math.Float64frombits(0x800fffffffffffff))}
}

// sprinkle replaces about one value in every rate of s by a special
// value.
func sprinkle[T float](s []T, rng *rand.Rand, rate int) {
	sp := specials[T]()
	for i := range s {
		if rng.IntN(rate) == 0 {
			s[i] = sp[rng.IntN(len(sp))]
		}
	}
}

// TestPackAIdentity compares the packed panels of arch.packA and
// arch.packAT with those of the Go loops, bit for bit, padding rows
// included, on random panel heights, depths, strides, transposes and
// scalars, with special values in A.
func TestPackAIdentity(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testPackAIdentity(t, archs32) })
	t.Run("float64", func(t *testing.T) { testPackAIdentity(t, archs64) })
}

func testPackAIdentity[T float](t *testing.T, archs []*arch[T]) {
	rng := rand.New(rand.NewPCG(11, 12))
	alphas := []float64{1, -1, 0.5, 3, -0.0, math.Inf(1), 1e-30}
	tested := 0
	for _, ar := range archs {
		if ar.packA == nil && ar.packAT == nil {
			continue
		}
		plain := withoutExtras(ar)
		for range 300 {
			m, k := 1+rng.IntN(40), 1+rng.IntN(300)
			g := gemmCase{transA: rng.IntN(2) == 1, m: m, n: 1, k: k, alpha: alphas[rng.IntN(len(alphas))], padA: rng.IntN(5)}
			o := newOperands[T](g, rng, false, false)
			sprinkle(o.a, rng, 10)
			ic, pc := rng.IntN(m), rng.IntN(k)
			mb, kb := 1+rng.IntN(m-ic), 1+rng.IntN(k-pc)
			size := roundUp(mb, ar.mr) * kb
			p := problem[T]{ar: ar, transA: g.transA, m: m, n: 1, k: k, alpha: T(g.alpha), a: o.a, lda: o.lda}
			got, want := make([]T, size), make([]T, size)
			for i := range got {
				got[i], want[i] = T(sentinel), T(-sentinel)
			}
			p.packA(got, mb, kb, ic, pc)
			p.ar = plain
			p.packA(want, mb, kb, ic, pc)
			if !bitsEqual(got, want) {
				t.Fatalf("%s: %d×%d block at (%d, %d) of %v: packed panels differ", ar.name, mb, kb, ic, pc, g)
			}
			tested++
		}
	}
	if tested == 0 {
		t.Skip("no arch with an assembly packing of A or Aᵀ in this build")
	}
}

// TestExtrasIdentity runs random products (m, n, k up to 300, all
// transposes, scalars including NaN and infinities, special values in
// the operands) on every arch and on its copy without the optional parts,
// and requires the same bits of C.
func TestExtrasIdentity(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testExtrasIdentity(t, archs32) })
	t.Run("float64", func(t *testing.T) { testExtrasIdentity(t, archs64) })
}

func testExtrasIdentity[T float](t *testing.T, archs []*arch[T]) {
	rng := rand.New(rand.NewPCG(13, 14))
	scalars := []float64{0, 1, -1, -0.5, 2, math.Inf(-1), math.NaN()}
	tested := 0
	for _, ar := range archs {
		if ar.packA == nil && ar.packAT == nil && ar.edges == nil && ar.columns == nil && ar.strided == nil {
			continue
		}
		plain := withoutExtras(ar)
		for i := range 60 {
			g := gemmCase{transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
				m: 1 + rng.IntN(300), n: 1 + rng.IntN(300), k: 1 + rng.IntN(300),
				alpha: scalars[rng.IntN(len(scalars))], beta: scalars[rng.IntN(len(scalars))],
				padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3)}
			if i%3 == 0 {
				// The shapes of the narrow layers: few columns.
				g.n = 1 + rng.IntN(40)
			}
			if i%4 != 0 {
				// Mostly finite scalars, so that C is not all NaN.
				g.alpha, g.beta = scalars[1+rng.IntN(4)], scalars[rng.IntN(5)]
			}
			o := newOperands[T](g, rng, false, false)
			switch i % 4 {
			case 0:
				sprinkle(o.a, rng, 500)
				sprinkle(o.b, rng, 500)
				sprinkle(o.c, rng, 50)
			case 1:
				// Dense: NaNs of different payloads meet in one
				// multiply-add, which tells the operands apart.
				sprinkle(o.a, rng, 3)
				sprinkle(o.b, rng, 3)
			}
			workers := 1 + rng.IntN(3)
			got, want := append([]T(nil), o.c...), append([]T(nil), o.c...)
			run(ar, workers, g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), o.a, o.lda, o.b, o.ldb, T(g.beta), got, o.ldc)
			run(plain, workers, g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), o.a, o.lda, o.b, o.ldb, T(g.beta), want, o.ldc)
			if !bitsEqual(got, want) {
				t.Fatalf("%s %v: C differs from the run without the optional parts", ar.name, g)
			}
			tested++
		}
	}
	if tested == 0 {
		t.Skip("no arch with optional parts in this build")
	}
}
