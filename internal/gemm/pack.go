package gemm

// packA copies alpha·op(A)[ic:ic+mb, pc:pc+kb] into dst as panels of mr
// rows: element (i, p) of panel q = i/mr sits at q·mr·kb + p·mr + i%mr.
// Rows past mb are zero.
func (p *problem[T]) packA(dst []T, mb, kb, ic, pc int) {
	mr, alpha, a, lda := p.ar.mr, p.alpha, p.a, p.lda
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : (ir+mr)*kb]
		mm := min(mr, mb-ir)
		if p.transA && mm == mr && p.ar.packAT != nil && alpha == alpha { // not NaN
			p.ar.packAT(panel, a[pc*lda+ic+ir:], lda, kb, mr, alpha)
			continue
		}
		if p.transA && mm == 6 && mr == 6 {
			// op(A)(i, p) = a[p·lda + i]: 6 contiguous values per p.
			for q := range kb {
				s := (*[6]T)(a[(pc+q)*lda+ic+ir:])
				d := (*[6]T)(panel[q*6:])
				d[0], d[1], d[2] = alpha*s[0], alpha*s[1], alpha*s[2]
				d[3], d[4], d[5] = alpha*s[3], alpha*s[4], alpha*s[5]
			}
			continue
		}
		if p.transA && mm == mr {
			for q := range kb {
				src := a[(pc+q)*lda+ic+ir:][:mr]
				d := panel[q*mr : q*mr+mr]
				for i, v := range src {
					d[i] = alpha * v
				}
			}
			continue
		}
		if p.transA {
			for q := range kb {
				src := a[(pc+q)*lda+ic+ir:][:mm]
				d := panel[q*mr : q*mr+mr]
				for i, v := range src {
					d[i] = alpha * v
				}
				clear(d[mm:])
			}
			continue
		}
		// op(A)(i, p) = a[i·lda + p]: a row of A per panel row.
		if p.ar.packA != nil && alpha == alpha { // not NaN
			p.ar.packA(panel, a[(ic+ir)*lda+pc:], lda, kb, mm, mr, alpha)
			continue
		}
		if mm == 6 && mr == 6 {
			base := (ic+ir)*lda + pc
			r0, r1, r2 := a[base:base+kb], a[base+lda:base+lda+kb], a[base+2*lda:base+2*lda+kb]
			r3, r4, r5 := a[base+3*lda:base+3*lda+kb], a[base+4*lda:base+4*lda+kb], a[base+5*lda:base+5*lda+kb]
			for q := range kb {
				d := panel[q*6 : q*6+6 : q*6+6]
				d[0], d[1], d[2] = alpha*r0[q], alpha*r1[q], alpha*r2[q]
				d[3], d[4], d[5] = alpha*r3[q], alpha*r4[q], alpha*r5[q]
			}
			continue
		}
		if mm == 12 && mr == 12 {
			base := (ic+ir)*lda + pc
			var r [12][]T
			for i := range r {
				r[i] = a[base+i*lda : base+i*lda+kb]
			}
			for q := range kb {
				d := (*[12]T)(panel[q*12:])
				d[0], d[1], d[2], d[3] = alpha*r[0][q], alpha*r[1][q], alpha*r[2][q], alpha*r[3][q]
				d[4], d[5], d[6], d[7] = alpha*r[4][q], alpha*r[5][q], alpha*r[6][q], alpha*r[7][q]
				d[8], d[9], d[10], d[11] = alpha*r[8][q], alpha*r[9][q], alpha*r[10][q], alpha*r[11][q]
			}
			continue
		}
		scaleRows(panel, a[(ic+ir)*lda+pc:], lda, 0, mm, 0, kb, mr, alpha)
		for i := mm; i < mr; i++ {
			for q := range kb {
				panel[q*mr+i] = 0
			}
		}
	}
}

// scaleRows sets dst[q·mr+i] = alpha·src[i·ld+q] for rows i0 ≤ i < i1
// and columns q0 ≤ q < q1: a part of a panel of A.
func scaleRows[T float](dst, src []T, ld, i0, i1, q0, q1, mr int, alpha T) {
	for i := i0; i < i1; i++ {
		for q, v := range src[i*ld+q0 : i*ld+q1] {
			dst[(q0+q)*mr+i] = alpha * v
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into dst as panels of nr
// columns: element (p, j) of panel q = j/nr sits at q·nr·kb + p·w + j%nr,
// w = panelWidth(nn) for a panel of nn columns (nr but for a narrow last
// panel). Columns past nb are zero.
func (p *problem[T]) packB(dst []T, kb, nb, pc, jc int) {
	nr := p.ar.nr
	for jr := 0; jr < nb; jr += nr {
		nn := min(nr, nb-jr)
		w := p.ar.panelWidth(nn)
		panel := dst[jr*kb : (jr+w)*kb]
		switch {
		case !p.transB && nn == w && p.ar.packRows != nil:
			p.ar.packRows(panel, p.b[pc*p.ldb+jc+jr:], p.ldb, kb, w)
		case !p.transB:
			// op(B)(p, j) = b[p·ldb + j]: nn contiguous values per p.
			for q := range kb {
				d := panel[q*w : q*w+w]
				copy(d, p.b[(pc+q)*p.ldb+jc+jr:][:nn])
				clear(d[nn:])
			}
		case p.ar.packCols != nil:
			p.ar.packCols(panel, p.b[(jc+jr)*p.ldb+pc:], p.ldb, kb, nn, w)
		default:
			packCols(panel, p.b[(jc+jr)*p.ldb+pc:], p.ldb, kb, nn, w, 1)
		}
	}
}

// packCols transposes nn rows of kb values of src (stride ld) into dst,
// value q of row j to dst[q·nr + j], the values scaled by alpha; columns
// nn…nr−1 of dst are zero. Rows are read in groups of four.
func packCols[T float](dst, src []T, ld, kb, nn, nr int, alpha T) {
	j := 0
	for ; j+4 <= nn; j += 4 {
		r0 := src[j*ld:][:kb]
		r1 := src[(j+1)*ld:][:kb]
		r2 := src[(j+2)*ld:][:kb]
		r3 := src[(j+3)*ld:][:kb]
		for q := range kb {
			d := dst[q*nr+j : q*nr+j+4 : q*nr+j+4]
			d[0], d[1], d[2], d[3] = alpha*r0[q], alpha*r1[q], alpha*r2[q], alpha*r3[q]
		}
	}
	for ; j < nn; j++ {
		r := src[j*ld:][:kb]
		for q, v := range r {
			dst[q*nr+j] = alpha * v
		}
	}
	if nn < nr {
		for q := range kb {
			clear(dst[q*nr+nn : q*nr+nr])
		}
	}
}
