package experiments

import "testing"

// TestDropoutSettings checks that both modes can decide the claims: the p
// sweep reaches below and into the flat range and ends at p = 1, every
// subset fits the pool, and the ensemble sweep starts at one sample.
func TestDropoutSettings(t *testing.T) {
	for _, quick := range []bool{false, true} {
		c := dropoutSettings(quick)
		if c.retains[len(c.retains)-1] != 1 {
			t.Errorf("quick=%v: the p sweep must end at p = 1 (no dropout): %v", quick, c.retains)
		}
		mid := 0
		for _, p := range c.retains {
			if p >= c.flatLo && p <= c.flatHi {
				mid++
			}
		}
		if mid == 0 || c.retains[0] >= c.flatLo {
			t.Errorf("quick=%v: retains %v need a point below %g and one in [%g, %g]", quick, c.retains, c.flatLo, c.flatLo, c.flatHi)
		}
		for _, n := range append(c.sizes, c.sweepN) {
			if n%10 != 0 || n > c.pool {
				t.Errorf("quick=%v: subset of %d from a pool of %d", quick, n, c.pool)
			}
		}
		e := dropEnsSettings(quick)
		if e.ks[0] != 1 || e.tinyWidth > 14 {
			t.Errorf("quick=%v: ks %v, tiny width %d", quick, e.ks, e.tinyWidth)
		}
	}
}
