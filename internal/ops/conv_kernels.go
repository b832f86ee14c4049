package ops

// The convolution's data movement: im2col and col2im on compact rows (any
// stride), and for stride 1 the wide rows that let one contiguous copy
// build each im2col row (see wide). op_conv.go has the ops and the
// products that use them.

// colRange returns the output indices [lo, hi) (0 ≤ lo ≤ hi ≤ n) whose
// input index q = p·stride − pad + j falls inside [0, w).
func colRange(j, w, n, pad, stride int) (lo, hi int) {
	// p·s ≥ pad − j  and  p·s ≤ w − 1 + pad − j.
	if d := pad - j; d > 0 {
		lo = min((d+stride-1)/stride, n)
	}
	if top := w - 1 + pad - j; top >= 0 {
		hi = min(top/stride+1, n)
	}
	return lo, max(hi, lo)
}

// im2col writes image x (C,H,W) as the (C·kh·kw, OH·OW) matrix col whose
// column p holds the receptive field of output pixel p, zero where it
// reaches into the padding. Row (c, i, j) of col is OH runs of OW values,
// each a strided (for stride 1, contiguous) run of one input row between
// zeros at the padded edges.
func im2col[T float32 | float64](k convK, x, col []T) {
	g := k.g
	ow := k.ow
	row := 0
	for c := 0; c < k.c; c++ {
		xc := x[c*k.h*k.w : (c+1)*k.h*k.w]
		for i := 0; i < g.kh; i++ {
			o0, o1 := colRange(i, k.h, k.oh, g.ph, g.sh)
			for j := 0; j < g.kw; j++ {
				dst := col[row*k.cols : (row+1)*k.cols]
				row++
				lo, hi := colRange(j, k.w, ow, g.pw, g.sw)
				if lo == hi {
					clear(dst)
					continue
				}
				clear(dst[:o0*ow])
				clear(dst[o1*ow:])
				off := lo*g.sw - g.pw + j // input column of output column lo
				for o := o0; o < o1; o++ {
					d := dst[o*ow : (o+1)*ow]
					xr := xc[(o*g.sh-g.ph+i)*k.w:][:k.w]
					for p := range lo {
						d[p] = 0
					}
					if g.sw == 1 {
						copy(d[lo:hi], xr[off:])
					} else {
						for p, q := lo, off; p < hi; p, q = p+1, q+g.sw {
							d[p] = xr[q]
						}
					}
					for p := hi; p < ow; p++ {
						d[p] = 0
					}
				}
			}
		}
	}
}

// col2im adds the (C·kh·kw, OH·OW) matrix col back into image gx
// (C,H,W), the adjoint of im2col.
func col2im[T float32 | float64](k convK, col, gx []T) {
	g := k.g
	ow := k.ow
	row := 0
	for c := 0; c < k.c; c++ {
		gc := gx[c*k.h*k.w : (c+1)*k.h*k.w]
		for i := 0; i < g.kh; i++ {
			o0, o1 := colRange(i, k.h, k.oh, g.ph, g.sh)
			for j := 0; j < g.kw; j++ {
				src := col[row*k.cols : (row+1)*k.cols]
				row++
				lo, hi := colRange(j, k.w, ow, g.pw, g.sw)
				if lo == hi {
					continue
				}
				off := lo*g.sw - g.pw + j
				for o := o0; o < o1; o++ {
					s := src[o*ow+lo : o*ow+hi]
					gr := gc[(o*g.sh-g.ph+i)*k.w:][:k.w]
					if g.sw == 1 {
						gr = gr[off : off+len(s)]
						for p, v := range s {
							gr[p] += v
						}
						continue
					}
					for p, q := 0, off; p < len(s); p, q = p+1, q+g.sw {
						gr[q] += s[p]
					}
				}
			}
		}
	}
}

// wide is a stride-1 convolution of p planes computed on wide rows.
// The planes are zero-padded into rows of wp elements; output pixel (r, s)
// is then the dot product of the filter with the padded plane from offset
// r·wp + s on, so row (c, i, j) of the im2col matrix, taken over the wide
// index q = r·wp + s, is the single run padded_c[i·wp + j :][:l]. The wide
// output has l = (oh−1)·wp + ow columns, of which q = r·wp + s with s < ow
// are the output pixels and the others (wp − ow per row) are discarded.
// Each row of the matrix is one copy instead of oh, for (wp/ow − 1) more
// multiply-adds in the product. Where pw ≤ kw − 1, a row's right padding
// is the next row's left padding (wp = w + pw, and pw zeros after the last
// row), so wp − ow = kw − 1 − pw: 3.6% more on 28×28 with a 3×3 kernel and
// padding 1, 7% on 14×14; else wp = w + 2·pw. The products take the same
// terms in the same order as on the compact matrix (where a discarded
// column enters a sum, in the filter gradient and in col2im, it holds
// zeros), so the results are those of im2col and col2im, bit for bit.
type wide struct {
	p, h, w, kh, kw, ph, pw int
	// A padded plane is hp rows of wp elements, padded row ph + r holding
	// input row r from pw on, then slack zeros; plane is its length.
	hp, wp, slack, plane int
	oh, ow               int
	rows, l              int
}

// wide returns k's wide-row geometry, false if its stride is not 1.
func (k convK) wide() (wide, bool) {
	if k.g.sh != 1 || k.g.sw != 1 || k.im2col {
		return wide{}, false
	}
	return wideGeom(k.c, k.h, k.w, k.g.kh, k.g.kw, k.g.ph, k.g.pw), true
}

func wideGeom(p, h, w, kh, kw, ph, pw int) wide {
	g := wide{p: p, h: h, w: w, kh: kh, kw: kw, ph: ph, pw: pw, hp: h + 2*ph, wp: w + 2*pw}
	if pw <= kw-1 {
		g.wp, g.slack = w+pw, pw
	}
	g.plane = g.hp*g.wp + g.slack
	g.oh, g.ow = g.hp-kh+1, w+2*pw-kw+1
	g.rows, g.l = p*kh*kw, (g.oh-1)*g.wp+g.ow
	return g
}

// wideBufs is one worker's buffers for wide rows, for batches of nb
// images side by side in one product (the columns of image bi of a batch
// start at bi·l, rows are ld = nb·l apart): the padded planes of one image
// (none without padding), the im2col matrix (rows × ld; none for a 1×1
// kernel) and the wide output or input (m × ld; none if wp = ow, when wide
// rows are the output's rows). Without one of the last two, nb is 1.
type wideBufs[T float32 | float64] struct {
	pad, col, out []T
	nb, ld        int
}

// wideBatch is the number of images whose wide im2col matrices go into
// one product: as many as fit 2^19 elements (2 MB of float32), at most a
// chunk. A wider product packs the filters once for more columns (packing
// them is as costly as packing the matrix when l is small). Each element
// of the product is the same sum whatever the batch.
func wideBatch(g wide) int {
	return max(1, min(convChunk, (1<<19)/(g.rows*g.l)))
}

// wideTake takes the buffers for g, batches of up to nb images and a
// wide output (or input) of m rows, from sc.
func wideTake[T float32 | float64](sc *scratch, g wide, m, nb int) wideBufs[T] {
	if g.kh*g.kw == 1 || g.wp == g.ow {
		nb = 1
	}
	b := wideBufs[T]{nb: nb, ld: nb * g.l}
	if g.ph != 0 || g.pw != 0 {
		b.pad = take[T](sc, g.p*g.plane)
	}
	if g.kh*g.kw != 1 {
		b.col = take[T](sc, g.rows*b.ld)
	}
	if g.wp != g.ow {
		b.out = take[T](sc, m*b.ld)
	}
	return b
}

// give returns the buffers to sc.
func (b wideBufs[T]) give(sc *scratch) {
	give(sc, b.pad)
	give(sc, b.col)
	give(sc, b.out)
}

// cols writes the wide im2col matrix (rows × l) of the planes x
// (p × h × w) as image bi of the batch in b.col and returns b.col, or for a
// 1×1 kernel returns the padded planes themselves.
func (b wideBufs[T]) cols(g wide, x []T, bi int) []T {
	if b.pad != nil {
		padPlanes(g, x, b.pad)
		x = b.pad
	}
	if b.col == nil {
		return x
	}
	plane := g.plane
	col := b.col[bi*g.l:]
	row := 0
	for c := 0; c < g.p; c++ {
		xc := x[c*plane : (c+1)*plane]
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				copy(col[row*b.ld:][:g.l], xc[i*g.wp+j:])
				row++
			}
		}
	}
	return b.col
}

// colTarget returns where the product writes the wide im2col matrices that
// col2im adds into the planes: b.col, or for a 1×1 kernel the padded
// planes (b.pad, or gx, the first image's planes, without padding).
func (b wideBufs[T]) colTarget(gx []T) []T {
	switch {
	case b.col != nil:
		return b.col
	case b.pad != nil:
		return b.pad
	}
	return gx
}

// col2im writes into the planes gx (p × h × w) the adjoint of cols for
// image bi of the batch: each element the sum of the entries of the wide
// im2col matrix in col (from colTarget) that copy it, one vector addition
// per row of col. The discarded columns of col must be zero (they fall on
// the padding or on other elements).
func (b wideBufs[T]) col2im(g wide, col []T, bi int, gx []T) {
	dst := gx
	if b.pad != nil {
		dst = b.pad
	}
	if b.col != nil {
		plane := g.plane
		clear(dst[:g.p*plane])
		col = col[bi*g.l:]
		row := 0
		for c := 0; c < g.p; c++ {
			dc := dst[c*plane : (c+1)*plane]
			for i := 0; i < g.kh; i++ {
				for j := 0; j < g.kw; j++ {
					addTo(dc[i*g.wp+j:][:g.l], col[row*b.ld:][:g.l])
					row++
				}
			}
		}
	}
	if b.pad != nil {
		plane := g.plane
		for c := 0; c < g.p; c++ {
			pc := b.pad[c*plane : (c+1)*plane]
			for r := 0; r < g.h; r++ {
				copy(gx[(c*g.h+r)*g.w:][:g.w], pc[(g.ph+r)*g.wp+g.pw:])
			}
		}
	}
}

// wideOut returns where the product writes its wide output: b.out, or y,
// the first image's compact output, if wp = ow.
func (b wideBufs[T]) wideOut(y []T) []T {
	if b.out == nil {
		return y
	}
	return b.out
}

// wideIn writes the compact matrix a (m × oh·ow) as image bi of the batch
// of wide matrices in b.out (wideEmbed) and returns b.out, or returns a
// itself if wp = ow.
func (b wideBufs[T]) wideIn(g wide, a []T, m, bi int) []T {
	if b.out == nil {
		return a
	}
	wideEmbed(g, a, b.out[bi*g.l:], b.ld, m)
	return b.out
}

// padPlanes writes the planes x (p × h × w) into pad (p padded planes,
// see wide) with zeros around them.
func padPlanes[T float32 | float64](g wide, x, pad []T) {
	for c := 0; c < g.p; c++ {
		pc := pad[c*g.plane : (c+1)*g.plane]
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		at := g.ph*g.wp + g.pw // where input row 0 goes
		clear(pc[:at])
		for r := 0; r < g.h; r++ {
			copy(pc[at:at+g.w], xc[r*g.w:(r+1)*g.w])
			end := at + g.w
			at += g.wp
			if r+1 == g.h {
				at = len(pc)
			}
			gap := pc[end:at] // right padding, next row's left padding
			for q := range gap {
				gap[q] = 0
			}
		}
	}
}

// wideCompact copies the output pixels of the wide matrix wide (m × l,
// rows ld apart) into y (m × oh × ow); nothing if they are the same
// memory (wp = ow).
func wideCompact[T float32 | float64](g wide, wide []T, ld int, y []T, m int) {
	if g.wp == g.ow {
		return
	}
	for q := 0; q < m; q++ {
		wq := wide[q*ld:][:g.l]
		yq := y[q*g.oh*g.ow : (q+1)*g.oh*g.ow]
		for r := 0; r < g.oh; r++ {
			copy(yq[r*g.ow:(r+1)*g.ow], wq[r*g.wp:])
		}
	}
}

// wideEmbed writes the compact matrix a (m × oh × ow) into wide (m × l,
// rows ld apart), zero in the discarded columns: the adjoint of
// wideCompact.
func wideEmbed[T float32 | float64](g wide, a, wide []T, ld, m int) {
	for q := 0; q < m; q++ {
		wq := wide[q*ld:][:g.l]
		aq := a[q*g.oh*g.ow : (q+1)*g.oh*g.ow]
		for r := 0; r < g.oh; r++ {
			copy(wq[r*g.wp:r*g.wp+g.ow], aq[r*g.ow:(r+1)*g.ow])
			if r+1 < g.oh {
				gap := wq[r*g.wp+g.ow : (r+1)*g.wp]
				for s := range gap {
					gap[s] = 0
				}
			}
		}
	}
}
