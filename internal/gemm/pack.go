package gemm

// packA copies alpha·op(A)[ic:ic+mb, pc:pc+kb] into dst as panels of mr
// rows: element (i, p) of panel q = i/mr sits at q·mr·kb + p·mr + i%mr.
// Rows past mb are zero.
func (p *problem[T]) packA(dst []T, mb, kb, ic, pc int) {
	mr, alpha, a, lda := p.ar.mr, p.alpha, p.a, p.lda
	for ir := 0; ir < mb; ir += mr {
		panel := dst[ir*kb : (ir+mr)*kb]
		mm := min(mr, mb-ir)
		if p.transA {
			// op(A)(i, p) = a[p·lda + i]: mm contiguous values per p.
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
		for i := range mm {
			src := a[(ic+ir+i)*lda+pc:][:kb]
			for q, v := range src {
				panel[q*mr+i] = alpha * v
			}
		}
		for i := mm; i < mr; i++ {
			for q := range kb {
				panel[q*mr+i] = 0
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into dst as panels of nr
// columns: element (p, j) of panel q = j/nr sits at q·nr·kb + p·nr + j%nr.
// Columns past nb are zero.
func (p *problem[T]) packB(dst []T, kb, nb, pc, jc int) {
	nr, b, ldb := p.ar.nr, p.b, p.ldb
	for jr := 0; jr < nb; jr += nr {
		panel := dst[jr*kb : (jr+nr)*kb]
		nn := min(nr, nb-jr)
		if !p.transB {
			// op(B)(p, j) = b[p·ldb + j]: nn contiguous values per p.
			for q := range kb {
				d := panel[q*nr : q*nr+nr]
				copy(d, b[(pc+q)*ldb+jc+jr:][:nn])
				clear(d[nn:])
			}
			continue
		}
		// op(B)(p, j) = b[j·ldb + p]: a row of B per panel column.
		for j := range nn {
			src := b[(jc+jr+j)*ldb+pc:][:kb]
			for q, v := range src {
				panel[q*nr+j] = v
			}
		}
		for j := nn; j < nr; j++ {
			for q := range kb {
				panel[q*nr+j] = 0
			}
		}
	}
}
