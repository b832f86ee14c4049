//go:build ignore

// gen_elem writes elem_amd64.s, the element-wise kernels of elem.go for
// float32 (suffix S) and float64 (suffix D), with their Go declarations and
// the …Vec functions that call them (elem_vec_amd64.go, and
// elem_vec_other.go for builds without them). Each kernel has two loops over
// whole vectors: YMM registers (AVX2) and, when the package variable
// avx512 is true, ZMM registers (AVX-512F). Both loops do, in each lane,
// the operations of the Go loop the kernel replaces, in the same order and
// with the same first operand wherever two NaNs could meet (x86 returns the
// first operand's NaN), each multiply and add rounded on its own.
//
//	go run gen_elem.go          (writes the files)
//	go run gen_elem.go -check   (fails if they differ from what it would write)
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
)

// A kernel's body is written once for both register widths, in Go
// assembler syntax with these substitutions:
//
//	P*      PS or PD, after the element type (VMULP* → VMULPS)
//	V0…V15  Y0…Y15 or Z0…Z15
//	H0…H15  the registers of half that width, X0…X15 or Y0…Y15
//	@name   the current element of pointer argument name
//	%name   the register holding scalar argument name in every lane
//
// body256 and body512 replace body where the two widths need different
// instructions (AVX-512F compares into mask registers); bodyS and bodyD
// where the two element types do (mixed kernels, whose lanes are float64
// for both: float32 inputs are loaded into H registers and widened).
// Pointer arguments are to the element type, those listed in wide to
// float64. Scalar arguments are of the element type. (g names a register in
// Go assembly, so no argument is called g.)
type kernel struct {
	name, doc        string
	ptrs, scalars    []string
	body             []string
	body256, body512 []string
	bodyS, bodyD     []string
	zero             bool     // V13 holds +0 in every lane
	wide             []string // pointers to float64 for both element types
	mixed            bool     // lanes are float64 for both element types
}

var kernels = []kernel{
	{
		name:    "momentum",
		doc:     "b = b·mu + keep·grad; w += negLR·b",
		ptrs:    []string{"w", "grad", "b"},
		scalars: []string{"negLR", "mu", "keep"},
		body: []string{
			"VMOVUP* @grad, V0",
			"VMULP* %keep, V0, V0 // grad·keep",
			"VMOVUP* @b, V1",
			"VMULP* %mu, V1, V1 // b·mu",
			"VADDP* V0, V1, V0 // b·mu + keep·grad",
			"VMOVUP* V0, @b",
			"VMULP* %negLR, V0, V0 // b·negLR",
			"VADDP* @w, V0, V0 // negLR·b + w",
			"VMOVUP* V0, @w",
		},
	},
	{
		name:    "momentumDecay",
		doc:     "d = grad + wd·w; b = b·mu + keep·d; w += negLR·b",
		ptrs:    []string{"w", "grad", "b"},
		scalars: []string{"negLR", "wd", "mu", "keep"},
		body: []string{
			"VMOVUP* @w, V2",
			"VMULP* %wd, V2, V0 // w·wd",
			"VADDP* @grad, V0, V0 // d = wd·w + grad",
			"VMULP* %keep, V0, V0 // d·keep",
			"VMOVUP* @b, V1",
			"VMULP* %mu, V1, V1 // b·mu",
			"VADDP* V0, V1, V0 // b·mu + keep·d",
			"VMOVUP* V0, @b",
			"VMULP* %negLR, V0, V0 // b·negLR",
			"VADDP* V2, V0, V0 // negLR·b + w",
			"VMOVUP* V0, @w",
		},
	},
	{
		name:    "sgd",
		doc:     "w += negLR·grad",
		ptrs:    []string{"w", "grad"},
		scalars: []string{"negLR"},
		body: []string{
			"VMOVUP* @grad, V0",
			"VMULP* %negLR, V0, V0 // grad·negLR",
			"VADDP* @w, V0, V0 // negLR·grad + w",
			"VMOVUP* V0, @w",
		},
	},
	{
		name:    "sgdDecay",
		doc:     "d = grad + wd·w; w += negLR·d",
		ptrs:    []string{"w", "grad"},
		scalars: []string{"negLR", "wd"},
		body: []string{
			"VMOVUP* @w, V2",
			"VMULP* %wd, V2, V0 // w·wd",
			"VADDP* @grad, V0, V0 // d = wd·w + grad",
			"VMULP* %negLR, V0, V0 // d·negLR",
			"VADDP* V2, V0, V0 // negLR·d + w",
			"VMOVUP* V0, @w",
		},
	},
	{
		name: "add",
		doc:  "y = x + b",
		ptrs: []string{"y", "x", "b"},
		body: []string{
			"VMOVUP* @x, V0",
			"VADDP* @b, V0, V0",
			"VMOVUP* V0, @y",
		},
	},
	{
		name: "mul",
		doc:  "y = x·b",
		ptrs: []string{"y", "x", "b"},
		body: []string{
			"VMOVUP* @x, V0",
			"VMULP* @b, V0, V0",
			"VMOVUP* V0, @y",
		},
	},
	{
		name:    "sigmoidGrad",
		doc:     "gx = (gy·(one − y))·y",
		ptrs:    []string{"gx", "y", "gy"},
		scalars: []string{"one"},
		body: []string{
			"VMOVUP* @y, V1",
			"VSUBP* V1, V15, V0 // one − y",
			"VMULP* @gy, V0, V0 // (one − y)·gy",
			"VMULP* V1, V0, V0 // ·y",
			"VMOVUP* V0, @gx",
		},
	},
	{
		name: "bnDx",
		doc:  "dx = k·dy − c1 − (x − mean)·c2",
		ptrs: []string{"dx", "x", "dy", "mean", "k", "c1", "c2"},
		body: []string{
			"VMOVUP* @k, V0",
			"VMULP* @dy, V0, V0 // k·dy",
			"VSUBP* @c1, V0, V0 // − c1",
			"VMOVUP* @x, V1",
			"VSUBP* @mean, V1, V1 // x − mean",
			"VMULP* @c2, V1, V1 // ·c2",
			"VSUBP* V1, V0, V0",
			"VMOVUP* V0, @dx",
		},
	},
	{
		name:  "addWiden",
		doc:   "acc += float64(x)",
		ptrs:  []string{"acc", "x"},
		wide:  []string{"acc"},
		mixed: true,
		bodyS: []string{
			"VCVTPS2PD @x, V0",
			"VADDPD @acc, V0, V0 // x + acc",
			"VMOVUPD V0, @acc",
		},
		bodyD: []string{
			"VMOVUPD @x, V0",
			"VADDPD @acc, V0, V0 // x + acc",
			"VMOVUPD V0, @acc",
		},
	},
	{
		name:  "addSquaredDiff",
		doc:   "e = float64(x) − mean; acc += e·e",
		ptrs:  []string{"acc", "mean", "x"},
		wide:  []string{"acc", "mean"},
		mixed: true,
		bodyS: []string{
			"VCVTPS2PD @x, V0",
			"VSUBPD @mean, V0, V0 // e",
			"VMULPD V0, V0, V0 // e·e",
			"VADDPD @acc, V0, V0 // e·e + acc",
			"VMOVUPD V0, @acc",
		},
		bodyD: []string{
			"VMOVUPD @x, V0",
			"VSUBPD @mean, V0, V0 // e",
			"VMULPD V0, V0, V0 // e·e",
			"VADDPD @acc, V0, V0 // e·e + acc",
			"VMOVUPD V0, @acc",
		},
	},
	{
		name:  "addGradMoments",
		doc:   "g = float64(dy); sdy += g; sdyx += g·float64(x − mean)",
		ptrs:  []string{"sdyx", "sdy", "x", "dy", "mean"},
		wide:  []string{"sdyx", "sdy"},
		mixed: true,
		bodyS: []string{
			"VCVTPS2PD @dy, V0 // g",
			"VMOVUPD @sdy, V2",
			"VADDPD V0, V2, V2 // sdy + g",
			"VMOVUPD V2, @sdy",
			"VMOVUPS @x, H1",
			"VSUBPS @mean, H1, H1 // x − mean, float32",
			"VCVTPS2PD H1, V1",
			"VMULPD V1, V0, V0 // g·(x − mean)",
			"VADDPD @sdyx, V0, V0 // g·(x − mean) + sdyx",
			"VMOVUPD V0, @sdyx",
		},
		bodyD: []string{
			"VMOVUPD @dy, V0 // g",
			"VMOVUPD @sdy, V2",
			"VADDPD V0, V2, V2 // sdy + g",
			"VMOVUPD V2, @sdy",
			"VMOVUPD @x, V1",
			"VSUBPD @mean, V1, V1 // x − mean",
			"VMULPD V1, V0, V0 // g·(x − mean)",
			"VADDPD @sdyx, V0, V0 // g·(x − mean) + sdyx",
			"VMOVUPD V0, @sdyx",
		},
	},
	{
		name:    "addScalar",
		doc:     "y = x + s",
		ptrs:    []string{"y", "x"},
		scalars: []string{"s"},
		body: []string{
			"VMOVUP* @x, V0",
			"VADDP* %s, V0, V0 // x + s",
			"VMOVUP* V0, @y",
		},
	},
	{
		name:    "scale",
		doc:     "y = k·x",
		ptrs:    []string{"y", "x"},
		scalars: []string{"k"},
		body: []string{
			"VMOVUP* @x, V0",
			"VMULP* %k, V0, V0 // x·k",
			"VMOVUP* V0, @y",
		},
	},
	{
		name:    "affineScalar",
		doc:     "y = (x − mu)·a + b",
		ptrs:    []string{"y", "x"},
		scalars: []string{"mu", "a", "b"},
		body: []string{
			"VMOVUP* @x, V0",
			"VSUBP* %mu, V0, V0 // x − mu",
			"VMULP* %a, V0, V0 // ·a",
			"VADDP* %b, V0, V0 // + b",
			"VMOVUP* V0, @y",
		},
	},
	{
		name:    "bnDxScalar",
		doc:     "dx = k·dy − c1 − (x − mu)·c2",
		ptrs:    []string{"dx", "x", "dy"},
		scalars: []string{"mu", "k", "c1", "c2"},
		body: []string{
			"VMOVUP* @dy, V0",
			"VMULP* %k, V0, V0 // dy·k",
			"VSUBP* %c1, V0, V0 // − c1",
			"VMOVUP* @x, V1",
			"VSUBP* %mu, V1, V1 // x − mu",
			"VMULP* %c2, V1, V1 // ·c2",
			"VSUBP* V1, V0, V0",
			"VMOVUP* V0, @dx",
		},
	},
	{
		name: "normScale",
		doc:  "y = (x − mean)·scale",
		ptrs: []string{"y", "x", "mean", "scale"},
		body: []string{
			"VMOVUP* @x, V0",
			"VSUBP* @mean, V0, V0",
			"VMULP* @scale, V0, V0",
			"VMOVUP* V0, @y",
		},
	},
	{
		name: "normAffine",
		doc:  "y = (x − mean)·scale + shift",
		ptrs: []string{"y", "x", "mean", "scale", "shift"},
		body: []string{
			"VMOVUP* @x, V0",
			"VSUBP* @mean, V0, V0",
			"VMULP* @scale, V0, V0",
			"VADDP* @shift, V0, V0",
			"VMOVUP* V0, @y",
		},
	},
	{
		// Predicates: $0x12 is ≤ (false for NaN), $0x16 its negation.
		name: "relu",
		doc:  "y = x's bits where !(x ≤ 0), +0 elsewhere",
		ptrs: []string{"y", "x"},
		zero: true,
		body256: []string{
			"VMOVUP* @x, V0",
			"VCMPP* $0x12, V13, V0, V1 // x ≤ 0",
			"VANDNP* V0, V1, V0",
			"VMOVUP* V0, @y",
		},
		body512: []string{
			"VMOVUP* @x, V0",
			"VCMPP* $0x16, V13, V0, K1 // !(x ≤ 0)",
			"VMOVUP*.Z V0, K1, V0",
			"VMOVUP* V0, @y",
		},
	},
	{
		// Predicate $0x1e is > (false for NaN).
		name: "reluGrad",
		doc:  "gx = gy's bits where y > 0, +0 elsewhere",
		ptrs: []string{"gx", "y", "gy"},
		zero: true,
		body256: []string{
			"VMOVUP* @y, V0",
			"VCMPP* $0x1e, V13, V0, V0 // y > 0",
			"VANDP* @gy, V0, V0",
			"VMOVUP* V0, @gx",
		},
		body512: []string{
			"VMOVUP* @y, V0",
			"VCMPP* $0x1e, V13, V0, K1 // y > 0",
			"VMOVUP*.Z @gy, K1, V0",
			"VMOVUP* V0, @gx",
		},
	},
}

var ptrRegs = []string{"SI", "DI", "DX", "R8", "R9", "R10", "R11"}

func (k kernel) write(w *strings.Builder, typ string, size int) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	suffix := map[int]string{4: "S", 8: "D"}[size]
	name := k.name + suffix
	args := k.params(typ)
	frame := 8*len(k.ptrs) + 8 + size*len(k.scalars)
	lane := size // bytes per lane
	if k.mixed {
		lane = 8
	}
	p("// func %s(%s)", name, strings.Join(args, ", "))
	p("//")
	p("// %s does, for i < n (n > 0, a multiple of the vector length),", name)
	p("// %s.", k.doc)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, frame)
	for i, a := range k.ptrs {
		p("\tMOVQ %s+%d(FP), %s", a, 8*i, ptrRegs[i])
	}
	nOff := 8 * len(k.ptrs)
	p("\tMOVQ n+%d(FP), CX", nOff)
	p("\tXORQ AX, AX")
	p("\tCMPB ·avx512(SB), $0")
	p("\tJNE wide")
	for _, v := range []string{"Y", "Z"} {
		if v == "Z" {
			p("wide:")
		}
		for i, s := range k.scalars {
			p("\tVBROADCASTS%s %s+%d(FP), %s%d", suffix, s, nOff+8+size*i, v, 15-i)
		}
		if k.zero {
			if v == "Y" {
				p("\tVXORPS Y13, Y13, Y13")
			} else {
				p("\tVPXORD Z13, Z13, Z13")
			}
		}
		body := k.body
		switch {
		case suffix == "S" && k.bodyS != nil:
			body = k.bodyS
		case suffix == "D" && k.bodyD != nil:
			body = k.bodyD
		case v == "Y" && k.body256 != nil:
			body = k.body256
		case v == "Z" && k.body512 != nil:
			body = k.body512
		}
		p("loop%s:", v)
		for _, line := range body {
			p("\t%s", k.subst(line, v, suffix, size))
		}
		p("\tADDQ $%d, AX", map[string]int{"Y": 32, "Z": 64}[v]/lane)
		p("\tCMPQ AX, CX")
		p("\tJB loop%s", v)
		p("\tVZEROUPPER")
		p("\tRET")
	}
	p("")
}

func (k kernel) isWide(ptr string) bool { return slices.Contains(k.wide, ptr) }

// subst expands one line of a body (see kernel).
func (k kernel) subst(line, v, suffix string, size int) string {
	line = strings.ReplaceAll(line, "P*", "P"+suffix)
	half := map[string]string{"Y": "X", "Z": "Y"}[v]
	for i := 15; i >= 0; i-- {
		line = strings.ReplaceAll(line, fmt.Sprintf("V%d", i), fmt.Sprintf("%s%d", v, i))
		line = strings.ReplaceAll(line, fmt.Sprintf("H%d", i), fmt.Sprintf("%s%d", half, i))
	}
	fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	for _, f := range fields {
		switch {
		case strings.HasPrefix(f, "@"):
			sz := size
			if k.isWide(f[1:]) {
				sz = 8
			}
			line = strings.Replace(line, f, fmt.Sprintf("(%s)(AX*%d)", ptrRegs[index(k.ptrs, f[1:])], sz), 1)
		case strings.HasPrefix(f, "%"):
			line = strings.Replace(line, f, fmt.Sprintf("%s%d", v, 15-index(k.scalars, f[1:])), 1)
		}
	}
	return line
}

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	log.Fatalf("gen_elem: unknown argument %q", s)
	return -1
}

// goParams is the parameter list of the kernel's …Vec function: slices of
// T (or of float64, for wide pointers) and scalars of T.
func (k kernel) goParams() string {
	var parts []string
	for i, a := range k.ptrs {
		t := "[]T"
		if k.isWide(a) {
			t = "[]float64"
		}
		next := i+1 < len(k.ptrs) && k.isWide(k.ptrs[i+1]) == k.isWide(a)
		if next {
			parts = append(parts, a)
		} else {
			parts = append(parts, a+" "+t)
		}
	}
	if len(k.scalars) > 0 {
		parts = append(parts, strings.Join(k.scalars, ", ")+" T")
	}
	return strings.Join(parts, ", ")
}

// params returns the parameters of the kernel's assembly function for
// element type typ: its pointers (float64 for the wide ones, consecutive
// ones of a type sharing it), n, and its scalars.
func (k kernel) params(typ string) []string {
	var params []string
	for i, a := range k.ptrs {
		t := typ
		if k.isWide(a) {
			t = "float64"
		}
		if i+1 < len(k.ptrs) && k.isWide(k.ptrs[i+1]) == k.isWide(a) {
			params = append(params, a)
		} else {
			params = append(params, a+" *"+t)
		}
	}
	params = append(params, "n int")
	if len(k.scalars) > 0 {
		params = append(params, strings.Join(k.scalars, ", ")+" "+typ)
	}
	return params
}

// writeGo writes the Go declaration of the kernel's two assembly functions
// and its …Vec function, which runs the kernel on the whole vectors of its
// first slice and returns how many elements it did.
func (k kernel) writeGo(w *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	for _, typ := range []string{"float32", "float64"} {
		params := k.params(typ)
		p("//go:noescape")
		p("func %s%s(%s)", k.name, map[string]string{"float32": "S", "float64": "D"}[typ], strings.Join(params, ", "))
		p("")
	}
	lanes := "T"
	if k.mixed {
		lanes = "float64"
	}
	p("func %sVec[T Float](%s) int {", k.name, k.goParams())
	p("\tn := vecLen[%s](len(%s))", lanes, k.ptrs[0])
	p("\tswitch {")
	p("\tcase n == 0:")
	for _, c := range []struct{ cas, suffix, ptr, conv string }{{"is32[T]()", "S", "ps", "float32"}, {"", "D", "pd", "float64"}} {
		if c.cas != "" {
			p("\tcase %s:", c.cas)
		} else {
			p("\tdefault:")
		}
		var args []string
		for _, a := range k.ptrs {
			if k.isWide(a) {
				args = append(args, "&"+a+"[0]")
			} else {
				args = append(args, c.ptr+"("+a+")")
			}
		}
		args = append(args, "n")
		for _, sc := range k.scalars {
			args = append(args, c.conv+"("+sc+")")
		}
		p("\t\t%s%s(%s)", k.name, c.suffix, strings.Join(args, ", "))
	}
	p("\t}")
	p("\treturn n")
	p("}")
	p("")
}

func main() {
	var asm, vec, other strings.Builder
	asm.WriteString("// Code generated by gen_elem.go; DO NOT EDIT.\n\n//go:build !noasm && !purego\n\n#include \"textflag.h\"\n\n")
	vec.WriteString("// Code generated by gen_elem.go; DO NOT EDIT.\n\n//go:build !noasm && !purego\n\npackage vmath\n\n")
	other.WriteString("// Code generated by gen_elem.go; DO NOT EDIT.\n\n//go:build !amd64 || noasm || purego\n\npackage vmath\n\n")
	other.WriteString("// Without assembly the …Vec functions do no element: the Go loops of\n// elem.go do them all.\n\n")
	for _, k := range kernels {
		k.write(&asm, "float32", 4)
		k.write(&asm, "float64", 8)
		k.writeGo(&vec)
		fmt.Fprintf(&other, "func %sVec[T Float](%s) int { return 0 }\n\n", k.name, k.goParams())
	}
	check := len(os.Args) > 1 && os.Args[1] == "-check"
	for name, b := range map[string]*strings.Builder{"elem_amd64.s": &asm, "elem_vec_amd64.go": &vec, "elem_vec_other.go": &other} {
		text := []byte(strings.TrimSuffix(b.String(), "\n"))
		if check {
			if old, err := os.ReadFile(name); err != nil || !bytes.Equal(old, text) {
				log.Fatalf("gen_elem: %s is not what gen_elem.go writes (run go generate)", name)
			}
			continue
		}
		if err := os.WriteFile(name, text, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
