package cpufeat

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// HasAVX2FMA reports whether the CPU and the operating system support AVX2
// and FMA3: CPUID leaf 1 (FMA, OSXSAVE, AVX), XCR0 (the OS saves the XMM
// and YMM state) and CPUID leaf 7 (AVX2).
func HasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

// HasAVX512 reports whether the CPU and the operating system support
// AVX-512F besides AVX2 and FMA: CPUID leaf 7 (AVX512F) and XCR0 (the OS
// saves the opmask, upper ZMM0–15 and ZMM16–31 state besides XMM and YMM).
func HasAVX512() bool {
	if !HasAVX2FMA() {
		return false
	}
	const zmmState = 1<<1 | 1<<2 | 1<<5 | 1<<6 | 1<<7
	if xcr0, _ := xgetbv(); xcr0&zmmState != zmmState {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx512f = 1 << 16
	return ebx7&avx512f != 0
}
