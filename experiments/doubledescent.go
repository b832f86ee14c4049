package experiments

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "double-descent",
		Title: "Double descent: minimum-norm random Fourier features and an MLP width sweep on small MNIST subsets",
		Claim: "Test error peaks where the model can first interpolate the training set and falls again beyond it: " +
			"(a) for minimum-norm least squares on N random Fourier features of n training images, the test squared loss and the coefficient norm both peak within a factor 1.5 of N = n, and the test squared loss at the largest N is at most half its peak; " +
			"(b) for two-layer MLPs trained without early stopping on labels with 20% noise, the test error has an interior peak (at least 1 point above the best test error at smaller widths and at larger widths) within a factor 2 of the interpolation threshold (the smallest width reaching training error ≤ 1%).",
		Paper: "Belkin, Hsu, Ma & Mandal (2019), Reconciling modern machine-learning practice and the classical bias-variance trade-off, PNAS 116(32), Figure 2 (RFF on MNIST) and Figure 3; " +
			"Nakkiran, Kaplun, Bansal, Yang, Barak & Sutskever (2019), Deep double descent: where bigger models and more data hurt, arXiv:1912.02292, Figure 1 and §5 (model-wise double descent)",
		Run:   runDoubleDescent,
		Judge: judgeDoubleDescent,
	})
}

// judgeDoubleDescent decides both parts from the metrics, with the
// tolerances of the settings (the same in both modes). (a): the loss and
// norm peaks lie within a factor peakTol of N = n and the largest N's test
// loss is at most fall × the peak's. (b): some width trains to at most
// interp training error, the test error's interior peak stands at least
// delta above the best error on both sides, and the peak lies within a
// factor threshTol of the interpolation threshold.
func judgeDoubleDescent(m map[string]float64) (bool, string) {
	cfg := ddSettings(false)
	in := newJudgeInputs(m)
	n, lossN, normN := in.get("rff_n"), in.get("rff_loss_peak_N"), in.get("rff_norm_peak_N")
	peakLoss, lastLoss := in.get("rff_peak_test_loss"), in.get("rff_last_test_loss")
	minTrain, thresh := in.get("mlp_min_train_err"), in.get("mlp_threshold_width")
	w, e := in.get("mlp_peak_width"), in.get("mlp_peak_test_err")
	left, right := in.get("mlp_peak_left_best_err"), in.get("mlp_peak_right_best_err")
	if v, bad := in.incomplete(); bad {
		return false, v
	}
	near := func(N float64) bool { return N >= n/cfg.peakTol && N <= n*cfg.peakTol }
	fallsA := lastLoss <= cfg.fall*peakLoss
	heldA := near(lossN) && near(normN) && fallsA
	verdictA := fmt.Sprintf("(a) %s: n = %.4g; test squared loss peaks at N = %.4g (%.4g), norm at N = %.4g (%.4g), both required within [%.0f, %.0f]; at N = %.4g the test loss is %.4g (%.3g × the peak, required ≤ %g), 0-1 error %.2f%% against %.2f%% at the peak.",
		yesNo(heldA, "held", "did not hold"), n, lossN, peakLoss, normN, m["rff_peak_norm"], n/cfg.peakTol, n*cfg.peakTol,
		m["rff_last_N"], lastLoss, lastLoss/peakLoss, cfg.fall, 100*m["rff_last_test_err"], 100*m["rff_peak_test_err"])

	interpolates := minTrain <= cfg.interp+1e-12
	peakOK := math.Min(e-left, e-right) >= cfg.delta-1e-9
	heldB := false
	var verdictB string
	switch {
	case !interpolates:
		verdictB = fmt.Sprintf("(b) did not hold: no width reached training error ≤ %.0f%% on the noisy labels (lowest %.2f%% at width %.4g).",
			100*cfg.interp, 100*minTrain, m["mlp_min_train_err_width"])
	case !peakOK:
		verdictB = fmt.Sprintf("(b) did not hold: the interpolation threshold is width %.4g, but the test error has no interior peak %.0f point above both sides (highest interior candidate width %.4g, %.2f%%, best at smaller widths %.2f%%, at larger widths %.2f%%).",
			thresh, 100*cfg.delta, w, 100*e, 100*left, 100*right)
	default:
		heldB = w >= thresh/cfg.threshTol && w <= thresh*cfg.threshTol
		verdictB = fmt.Sprintf("(b) %s: the interpolation threshold is width %.4g; the test error peaks at width %.4g (%.2f%%, best at smaller widths %.2f%%, at larger widths %.2f%%), required within [%.3g, %.3g].",
			yesNo(heldB, "held", "did not hold"), thresh, w, 100*e, 100*left, 100*right, thresh/cfg.threshTol, thresh*cfg.threshTol)
	}
	return heldA && heldB, verdictA + " " + verdictB
}

// ddConfig is the size of a double-descent run.
type ddConfig struct {
	// Part (a): random Fourier features.
	rffN    int     // training images
	rffTest int     // test images
	rffLo   float64 // smallest N as a fraction of n
	rffHi   float64 // largest N as a multiple of n
	rffLog  int     // log-spaced feature counts between them
	rffNear []float64
	peakTol float64 // the peaks must lie within [n/peakTol, n·peakTol]
	fall    float64 // the largest N's test loss must be ≤ fall × the peak

	// Part (b): MLP width sweep.
	mlpSizes  Sizes
	noise     float64
	widths    []int
	epochs    int
	batch     int
	lr        float64
	interp    float64 // training error at or below which a width interpolates
	delta     float64 // height of the test-error peak over both sides
	threshTol float64 // the peak must lie within a factor threshTol of the threshold
}

func ddSettings(quick bool) ddConfig {
	c := ddConfig{
		rffN: 500, rffTest: 2000, rffLo: 0.1, rffHi: 10, rffLog: 17,
		rffNear: []float64{0.7, 0.8, 0.9, 0.95, 1, 1.05, 1.1, 1.25, 1.5},
		peakTol: 1.5, fall: 0.5,
		mlpSizes: Sizes{Train: 1000, Test: 2000}, noise: 0.2,
		widths: []int{2, 4, 6, 8, 10, 12, 14, 16, 20, 25, 30, 40, 50, 70, 100, 150, 200, 300, 500},
		epochs: 200, batch: 50, lr: 1e-3, interp: 0.01, delta: 0.01, threshTol: 2,
	}
	if quick {
		c.rffN, c.rffTest, c.rffLog = 100, 1000, 9
		c.rffNear = []float64{0.8, 0.9, 1, 1.1, 1.25}
		c.mlpSizes = Sizes{Train: 300, Test: 1000}
		c.widths = []int{2, 5, 10, 20, 50, 100, 200, 400}
		c.epochs, c.batch = 100, 30
	}
	return c
}

// Random streams of this experiment.
const (
	ddFeatureStream = 400 // W and b of the random features
	ddNoiseStream   = 401 // which labels are flipped
	ddModelStream   = 402 // initial weights of the MLPs
	ddFitStream     = 403 // batch order
)

// ddRFFPoint is one feature count of part (a).
type ddRFFPoint struct {
	n                    int // features
	rank                 int // numerical rank of the feature matrix
	trainLoss, trainErr  float64
	testLoss, testErr    float64
	norm                 float64 // ‖A‖_F of the coefficient matrix
	minSingular, maxSing float64
}

// ddMLPPoint is one width of part (b).
type ddMLPPoint struct {
	width, params int
	trainNoisy    training.Metrics // on the noisy labels it was trained on
	trainClean    training.Metrics // the same images, true labels
	test          training.Metrics
}

func runDoubleDescent(ctx context.Context, env *Env) (*Result, error) {
	cfg := ddSettings(env.Quick())
	rff, sigma, rffSrc, err := runDDRFF(ctx, env, cfg)
	if err != nil {
		return nil, errors.WithMessage(err, "random features")
	}
	mlp, mlpSrc, err := runDDMLP(ctx, env, cfg)
	if err != nil {
		return nil, errors.WithMessage(err, "MLP width sweep")
	}

	// (a) Peaks of the test squared loss and of the norm.
	lossPeak, normPeak := 0, 0
	for i, p := range rff {
		if p.testLoss > rff[lossPeak].testLoss {
			lossPeak = i
		}
		if p.norm > rff[normPeak].norm {
			normPeak = i
		}
	}
	n := float64(cfg.rffN)
	last := rff[len(rff)-1]

	// (b) The interpolation threshold and an interior peak of the test error.
	thresh := -1
	for i, p := range mlp {
		if 1-p.trainNoisy.Accuracy <= cfg.interp+1e-12 {
			thresh = i
			break
		}
	}
	peak, peakOK := ddInteriorPeak(mlp, cfg.delta)
	bestTrain := ddBestTrain(mlp)
	threshWidth := mlp[len(mlp)-1].width // no width interpolated: the largest, a lower bound
	if thresh >= 0 {
		threshWidth = mlp[thresh].width
	}
	metrics := map[string]float64{
		"rff_n": n, "rff_loss_peak_N": float64(rff[lossPeak].n), "rff_norm_peak_N": float64(rff[normPeak].n),
		"rff_peak_norm": rff[normPeak].norm, "rff_last_N": float64(last.n),
		"rff_peak_test_loss": rff[lossPeak].testLoss, "rff_last_test_loss": last.testLoss,
		"rff_peak_test_err": rff[lossPeak].testErr, "rff_last_test_err": last.testErr,
		"mlp_min_train_err": 1 - bestTrain.trainNoisy.Accuracy, "mlp_min_train_err_width": float64(bestTrain.width),
		"mlp_threshold_width": float64(threshWidth),
		"mlp_peak_width":      float64(mlp[peak].width), "mlp_peak_test_err": 1 - mlp[peak].test.Accuracy,
		"mlp_peak_left_best_err": ddMinErr(mlp[:peak]), "mlp_peak_right_best_err": ddMinErr(mlp[peak+1:]),
		"mlp_last_test_err":     1 - mlp[len(mlp)-1].test.Accuracy,
		"mlp_peak_margin_in_se": 0,
	}
	if margin, se := ddPeakSignificance(mlp, peak); se > 0 {
		metrics["mlp_peak_margin_in_se"] = margin / se
	}
	held, verdict := judgeDoubleDescent(metrics)

	if err := writeDDFiles(env, cfg, rff, mlp, thresh); err != nil {
		return nil, err
	}
	if err := writeDDSummary(env, cfg, held, verdict, rff, mlp, sigma, rffSrc, mlpSrc, lossPeak, normPeak, thresh, peak, peakOK); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

// ddInteriorPeak returns the width index with the largest margin of test
// error above the best test error on both sides, and whether that margin
// reaches delta.
func ddInteriorPeak(mlp []ddMLPPoint, delta float64) (int, bool) {
	best, margin := 0, math.Inf(-1)
	for i := 1; i+1 < len(mlp); i++ {
		e := 1 - mlp[i].test.Accuracy
		m := math.Min(e-ddMinErr(mlp[:i]), e-ddMinErr(mlp[i+1:]))
		if m > margin {
			best, margin = i, m
		}
	}
	return best, margin >= delta-1e-9
}

// ddPeakSignificance returns how far width index peak's test error lies
// above the best test error of the smaller widths, and the binomial
// standard error of that difference, √(p₁(1−p₁)/m + p₂(1−p₂)/m) for
// errors p₁, p₂ on m test images.
func ddPeakSignificance(mlp []ddMLPPoint, peak int) (margin, se float64) {
	if peak <= 0 {
		return 0, 0
	}
	p1 := 1 - mlp[peak].test.Accuracy
	p2 := ddMinErr(mlp[:peak])
	m := float64(mlp[peak].test.N)
	return p1 - p2, math.Sqrt(p1*(1-p1)/m + p2*(1-p2)/m)
}

func ddMinErr(ps []ddMLPPoint) float64 {
	m := math.Inf(1)
	for _, p := range ps {
		m = math.Min(m, 1-p.test.Accuracy)
	}
	return m
}

func ddBestTrain(ps []ddMLPPoint) ddMLPPoint {
	b := ps[0]
	for _, p := range ps {
		if p.trainNoisy.Accuracy > b.trainNoisy.Accuracy {
			b = p
		}
	}
	return b
}

// ddFeatureCounts returns the feature counts: rffLog log-spaced values from
// rffLo·n to rffHi·n plus the multiples rffNear of n, sorted, distinct.
func ddFeatureCounts(cfg ddConfig) []int {
	n := float64(cfg.rffN)
	set := map[int]bool{}
	lo, hi := math.Log(cfg.rffLo*n), math.Log(cfg.rffHi*n)
	for i := 0; i < cfg.rffLog; i++ {
		set[int(math.Round(math.Exp(lo+(hi-lo)*float64(i)/float64(cfg.rffLog-1))))] = true
	}
	for _, f := range cfg.rffNear {
		set[int(math.Round(f*n))] = true
	}
	out := make([]int, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// ddMatrix returns a dataset's images as an n×784 float64 matrix and its
// labels one-hot as an n×K matrix.
func ddMatrix(ds *datasets.Dataset) (*mat.Dense, *mat.Dense) {
	n, d := ds.Len(), ds.Features()
	x := mat.NewDense(n, d, nil)
	y := mat.NewDense(n, ds.NumClasses, nil)
	for i := 0; i < n; i++ {
		for j, v := range ds.Row(i) {
			x.Set(i, j, float64(v))
		}
		y.Set(i, ds.Y[i], 1)
	}
	return x, y
}

// ddMedianDistance returns the median Euclidean distance over all pairs of
// rows of x.
func ddMedianDistance(x *mat.Dense) float64 {
	n, _ := x.Dims()
	var d []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			d = append(d, math.Sqrt(ddSqDist(x.RawRowView(i), x.RawRowView(j))))
		}
	}
	sort.Float64s(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func ddSqDist(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		e := a[i] - b[i]
		s += e * e
	}
	return s
}

// ddFeatures returns φ(x) = √(2/N)·cos(x·W + b) for every row of x, with
// the N columns of W and entries of b given.
func ddFeatures(x, w *mat.Dense, b []float64) *mat.Dense {
	n, _ := x.Dims()
	_, N := w.Dims()
	var phi mat.Dense
	phi.Mul(x, w)
	scale := math.Sqrt(2 / float64(N))
	for i := 0; i < n; i++ {
		row := phi.RawRowView(i)
		for j := range row {
			row[j] = scale * math.Cos(row[j]+b[j])
		}
	}
	return &phi
}

func runDDRFF(ctx context.Context, env *Env, cfg ddConfig) ([]ddRFFPoint, float64, string, error) {
	data, err := env.MNIST(ctx, Sizes{Train: cfg.rffN, Test: cfg.rffTest})
	if err != nil {
		return nil, 0, "", err
	}
	xtr, ytr := ddMatrix(data.Train)
	xte, yte := ddMatrix(data.Test)
	sigma := ddMedianDistance(xtr)
	counts := ddFeatureCounts(cfg)
	_, d := xtr.Dims()
	rng := env.Rand(ddFeatureStream)
	var out []ddRFFPoint
	for _, N := range counts {
		if err := ctx.Err(); err != nil {
			return nil, 0, "", errors.Wrap(err, "experiments: double-descent")
		}
		// Fresh features for every N: W ~ N(0, 1/σ²), b ~ U(0, 2π).
		w := mat.NewDense(d, N, nil)
		for i := 0; i < d; i++ {
			for j := 0; j < N; j++ {
				w.Set(i, j, rng.NormFloat64()/sigma)
			}
		}
		b := make([]float64, N)
		for j := range b {
			b[j] = 2 * math.Pi * rng.Float64()
		}
		p, err := ddMinNormFit(ddFeatures(xtr, w, b), ytr, ddFeatures(xte, w, b), yte)
		if err != nil {
			return nil, 0, "", errors.WithMessagef(err, "N = %d", N)
		}
		p.n = N
		out = append(out, *p)
		env.Logf("double-descent: RFF N = %5d: rank %d, train loss %.3g, test loss %.4g, test error %.2f%%, ‖A‖ = %.4g",
			N, p.rank, p.trainLoss, p.testLoss, 100*p.testErr, p.norm)
	}
	return out, sigma, data.Source, nil
}

// ddMinNormFit solves min ‖A‖_F over the minimisers of ‖Φ·A − Y‖_F with
// the pseudo-inverse from the thin SVD of Φ (singular values at or below
// max(n, N)·ε·σ_max are treated as zero) and scores it.
func ddMinNormFit(phi, y, phiTest, yTest *mat.Dense) (*ddRFFPoint, error) {
	var svd mat.SVD
	if !svd.Factorize(phi, mat.SVDThin) {
		return nil, errors.New("experiments: SVD did not converge")
	}
	r, c := phi.Dims()
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := float64(max(r, c)) * 2.220446049250313e-16 * s[0]
	p := &ddRFFPoint{maxSing: s[0], minSingular: s[len(s)-1]}
	// A = V·diag(1/s)·Uᵀ·Y over the kept singular values.
	var uty mat.Dense
	uty.Mul(u.T(), y)
	k := 0
	for i, si := range s {
		if si <= tol {
			for j := 0; j < uty.RawMatrix().Cols; j++ {
				uty.Set(i, j, 0)
			}
			continue
		}
		k++
		row := uty.RawRowView(i)
		for j := range row {
			row[j] /= si
		}
	}
	p.rank = k
	var a mat.Dense
	a.Mul(&v, &uty)
	p.norm = mat.Norm(&a, 2)
	p.trainLoss, p.trainErr = ddScore(phi, &a, y)
	p.testLoss, p.testErr = ddScore(phiTest, &a, yTest)
	return p, nil
}

// ddScore returns the mean over rows of ‖φ·A − y‖² and the fraction of rows
// whose largest output is not the labelled class.
func ddScore(phi, a, y *mat.Dense) (loss, errRate float64) {
	var pred mat.Dense
	pred.Mul(phi, a)
	n, k := pred.Dims()
	for i := 0; i < n; i++ {
		pr, yr := pred.RawRowView(i), y.RawRowView(i)
		arg, lab := 0, 0
		for j := 0; j < k; j++ {
			e := pr[j] - yr[j]
			loss += e * e
			if pr[j] > pr[arg] {
				arg = j
			}
			if yr[j] > yr[lab] {
				lab = j
			}
		}
		if arg != lab {
			errRate++
		}
	}
	return loss / float64(n), errRate / float64(n)
}

func runDDMLP(ctx context.Context, env *Env, cfg ddConfig) ([]ddMLPPoint, string, error) {
	data, err := env.MNIST(ctx, cfg.mlpSizes)
	if err != nil {
		return nil, "", err
	}
	y, _, err := datasets.FlipLabels(data.Train.Y, data.Train.NumClasses, cfg.noise, env.Rand(ddNoiseStream))
	if err != nil {
		return nil, "", errors.WithMessage(err, "experiments: label noise")
	}
	noisy := data.Train.Clone()
	noisy.Y = y
	modelSeed := env.Rand(ddModelStream).Uint64()
	fitSeed := env.Rand(ddFitStream).Uint64()
	var out []ddMLPPoint
	for _, h := range cfg.widths {
		m, err := BuildMLP([]int{h}, models.Config{}, modelSeed)
		if err != nil {
			return nil, "", err
		}
		opt, err := training.NewAdam(training.AdamConfig{LR: cfg.lr})
		if err != nil {
			return nil, "", err
		}
		if _, err := training.Fit(ctx, m, noisy, nil, training.Config{Epochs: cfg.epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt}); err != nil {
			return nil, "", errors.WithMessagef(err, "width %d", h)
		}
		p := ddMLPPoint{width: h, params: m.NumParams()}
		if p.trainNoisy, err = Evaluate(ctx, m, noisy); err != nil {
			return nil, "", err
		}
		if p.trainClean, err = Evaluate(ctx, m, data.Train); err != nil {
			return nil, "", err
		}
		if p.test, err = Evaluate(ctx, m, data.Test); err != nil {
			return nil, "", err
		}
		out = append(out, p)
		env.Logf("double-descent: MLP width %3d (%6d parameters): train error %.2f%% (noisy labels), test error %.2f%%, test loss %.4f",
			h, p.params, pct(p.trainNoisy), pct(p.test), p.test.Loss)
	}
	return out, data.Source, nil
}

func writeDDFiles(env *Env, cfg ddConfig, rff []ddRFFPoint, mlp []ddMLPPoint, thresh int) error {
	rt := NewTable("features", "n_train", "rank", "train_sq_loss", "train_err", "test_sq_loss", "test_err", "coef_norm", "max_singular", "min_singular")
	for _, p := range rff {
		if err := rt.Add(p.n, cfg.rffN, p.rank, p.trainLoss, p.trainErr, p.testLoss, p.testErr, p.norm, p.maxSing, p.minSingular); err != nil {
			return err
		}
	}
	mt := NewTable("width", "params", "n_train", "label_noise", "train_loss_noisy", "train_err_noisy", "train_err_clean", "test_loss", "test_err")
	for _, p := range mlp {
		if err := mt.Add(p.width, p.params, cfg.mlpSizes.Train, cfg.noise, p.trainNoisy.Loss, 1-p.trainNoisy.Accuracy, 1-p.trainClean.Accuracy, p.test.Loss, 1-p.test.Accuracy); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("rff.csv", rt); err != nil {
		return err
	}
	if err := env.WriteCSV("mlp_width.csv", mt); err != nil {
		return err
	}
	ns := make([]float64, len(rff))
	var trL, teL, trE, teE, norm []float64
	for i, p := range rff {
		ns[i] = float64(p.n)
		trL, teL = append(trL, max(p.trainLoss, 1e-3)), append(teL, p.testLoss)
		trE, teE = append(trE, 100*p.trainErr), append(teE, 100*p.testErr)
		norm = append(norm, p.norm)
	}
	mark := []Marker{{Name: fmt.Sprintf("N = n = %d", cfg.rffN), X: float64(cfg.rffN)}}
	plots := []struct {
		name string
		spec LineSpec
	}{
		{"rff_loss.png", LineSpec{Title: fmt.Sprintf("Random Fourier features, min-norm least squares, n = %d MNIST images: squared loss", cfg.rffN),
			XLabel: "number of random features N (log scale)", YLabel: "mean squared loss per image (log scale)", LogX: true, LogY: true,
			Series: []Series{{Name: "test", X: ns, Y: teL, Points: true}, {Name: "training (floored at 1e-3)", X: ns, Y: trL, Points: true, Dashed: true}}, Markers: mark}},
		{"rff_error.png", LineSpec{Title: fmt.Sprintf("Random Fourier features, min-norm least squares, n = %d MNIST images: 0-1 error", cfg.rffN),
			XLabel: "number of random features N (log scale)", YLabel: "classification error (%)", LogX: true,
			Series: []Series{{Name: "test", X: ns, Y: teE, Points: true}, {Name: "training", X: ns, Y: trE, Points: true, Dashed: true}}, Markers: mark}},
		{"rff_norm.png", LineSpec{Title: fmt.Sprintf("Random Fourier features, n = %d: norm of the min-norm solution", cfg.rffN),
			XLabel: "number of random features N (log scale)", YLabel: "‖A‖ (Frobenius, log scale)", LogX: true, LogY: true,
			Series: []Series{{Name: "coefficient norm", X: ns, Y: norm, Points: true}}, Markers: mark}},
	}
	ws := make([]float64, len(mlp))
	var mTr, mTe, mTrC []float64
	for i, p := range mlp {
		ws[i] = float64(p.width)
		mTr, mTe, mTrC = append(mTr, pct(p.trainNoisy)), append(mTe, pct(p.test)), append(mTrC, pct(p.trainClean))
	}
	var mm []Marker
	if thresh >= 0 {
		mm = append(mm, Marker{Name: fmt.Sprintf("interpolation threshold (width %d)", mlp[thresh].width), X: ws[thresh]})
	}
	plots = append(plots, struct {
		name string
		spec LineSpec
	}{"mlp_width.png", LineSpec{Title: fmt.Sprintf("784-h-10 MLPs, %d training images with %.0f%% label noise, %d epochs of Adam", cfg.mlpSizes.Train, 100*cfg.noise, cfg.epochs),
		XLabel: "hidden units h (log scale)", YLabel: "error (%)", LogX: true,
		Series: []Series{
			{Name: "test (clean labels)", X: ws, Y: mTe, Points: true},
			{Name: "training, noisy labels (trained on)", X: ws, Y: mTr, Points: true, Dashed: true},
			{Name: "training images, true labels", X: ws, Y: mTrC, Points: true, Dashed: true},
		}, Markers: mm}})
	for _, pl := range plots {
		p, err := LinePlot(pl.spec)
		if err != nil {
			return err
		}
		if err := env.SavePlot(pl.name, p); err != nil {
			return err
		}
	}
	return nil
}

func writeDDSummary(env *Env, cfg ddConfig, held bool, verdict string, rff []ddRFFPoint, mlp []ddMLPPoint, sigma float64, rffSrc, mlpSrc string, lossPeak, normPeak, thresh, peak int, peakOK bool) error {
	rt := MarkdownTable{Caption: fmt.Sprintf("(a) Random Fourier features, n = %d training images:", cfg.rffN),
		Header: []string{"N", "N/n", "rank", "train sq. loss", "test sq. loss", "test 0-1 error", "‖A‖", "σ_min/σ_max"}}
	for _, p := range rff {
		rt.Rows = append(rt.Rows, []string{fmt.Sprint(p.n), fmt.Sprintf("%.2f", float64(p.n)/float64(cfg.rffN)), fmt.Sprint(p.rank),
			fmt.Sprintf("%.3g", p.trainLoss), fmt.Sprintf("%.4g", p.testLoss), fmt.Sprintf("%.2f%%", 100*p.testErr), fmt.Sprintf("%.4g", p.norm), fmt.Sprintf("%.3g", p.minSingular/p.maxSing)})
	}
	mt := MarkdownTable{Caption: fmt.Sprintf("(b) MLP width sweep, %d training images, %.0f%% of labels flipped:", cfg.mlpSizes.Train, 100*cfg.noise),
		Header: []string{"width", "parameters", "train error (noisy labels)", "train error (true labels)", "test error", "test loss"}}
	for _, p := range mlp {
		mt.Rows = append(mt.Rows, []string{fmt.Sprint(p.width), fmt.Sprint(p.params), fmt.Sprintf("%.2f%%", pct(p.trainNoisy)), fmt.Sprintf("%.2f%%", pct(p.trainClean)), fmt.Sprintf("%.2f%%", pct(p.test)), fmt.Sprintf("%.4f", p.test.Loss)})
	}
	last := rff[len(rff)-1]
	mlpRun := fmt.Sprintf("no width reached training error ≤ %.0f%%", 100*cfg.interp)
	if thresh >= 0 {
		mlpRun = fmt.Sprintf("interpolation threshold at width %d (%d parameters, %.1f per training image); test error %.2f%% there, %s at width %d (%.2f%%), %.2f%% at width %d",
			mlp[thresh].width, mlp[thresh].params, float64(mlp[thresh].params)/float64(cfg.mlpSizes.Train), pct(mlp[thresh].test),
			yesNo(peakOK, "interior peak", "largest interior bump"), mlp[peak].width, pct(mlp[peak].test), pct(mlp[len(mlp)-1].test), mlp[len(mlp)-1].width)
	}
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Belkin et al.'s Figure 2 trains minimum-norm least squares on random Fourier features of a 10⁴-image MNIST subset, N from 0 to 6·10⁴: the zero-one and squared test losses rise to a sharp peak at N = n = 10⁴ (squared loss of order 10², zero-one loss ≈ 10–15% at the peak), where the norm of the solution also peaks, then fall again as N grows, to below the classical optimum. " +
			"Their Figure 3 and Nakkiran et al.'s model-wise experiments show the same peak for networks at the interpolation threshold, most clearly with label noise. " +
			"The counterparts here are rff_loss.png, rff_error.png, rff_norm.png and mlp_width.png.",
		Comparison: []Comparison{
			{"(a) test squared loss", "peak at N = n, falls beyond", fmt.Sprintf("peak %.4g at N = %d (n = %d); %.4g at N = %d", rff[lossPeak].testLoss, rff[lossPeak].n, cfg.rffN, last.testLoss, last.n)},
			{"(a) test 0-1 error", "peak at N = n", fmt.Sprintf("%.2f%% at N = %d; %.2f%% at N = %d", 100*rff[lossPeak].testErr, rff[lossPeak].n, 100*last.testErr, last.n)},
			{"(a) norm of the solution", "peak at N = n", fmt.Sprintf("peak %.4g at N = %d", rff[normPeak].norm, rff[normPeak].n)},
			{"(b) MLP width sweep", "test error peaks at the interpolation threshold, then falls", mlpRun},
		},
		Setup: []string{
			"(a) " + rffSrc + ".",
			fmt.Sprintf("(a) Features φ(x) = √(2/N)·cos(Wᵀx + b) on pixel values in [0, 1], W with independent N(0, 1/σ²) entries, σ = %.4g the median Euclidean distance between the training images (a Gaussian kernel of that bandwidth in the limit), b ~ U(0, 2π); fresh W and b for every N. Feature counts N: %d values, %d log-spaced from %.0f to %.0f plus %v × n.", sigma, len(rff), cfg.rffLog, cfg.rffLo*float64(cfg.rffN), cfg.rffHi*float64(cfg.rffN), cfg.rffNear),
			"(a) Targets one-hot (10 outputs); the coefficients A (N×10) are the minimum-norm least-squares solution Φ⁺Y, with the pseudo-inverse from gonum's thin SVD of Φ in float64 (singular values ≤ max(n, N)·ε·σ_max dropped). Squared loss: mean over images of ‖φ(x)A − y‖²; 0-1 error: argmax of the 10 outputs against the label; norm: ‖A‖_F.",
			fmt.Sprintf("(a) Criterion: the N with the largest test squared loss and the N with the largest norm both lie in [n/%g, n·%g], and the test squared loss at the largest N is at most %g × the peak.", cfg.peakTol, cfg.peakTol, cfg.fall),
			"(b) " + mlpSrc + fmt.Sprintf("; %.0f%% of the training labels flipped to another class (datasets.FlipLabels), test labels clean.", 100*cfg.noise),
			fmt.Sprintf("(b) The registry's ReLU MLP 784-h-10, h ∈ %v, float32, the same initialisation seed for every width; Adam (learning rate %g), batch %d, %d epochs, no early stopping, no regularization; scored after the last epoch.", cfg.widths, cfg.lr, cfg.batch, cfg.epochs),
			fmt.Sprintf("(b) Criterion: the interpolation threshold is the smallest width with training error ≤ %.0f%% on the noisy labels; a peak is a width whose test error is at least %.0f point above the lowest test error of the smaller widths and of the larger widths; the claim holds if such a peak lies within a factor %g of the threshold.", 100*cfg.interp, 100*cfg.delta, cfg.threshTol),
		},
		Tables: []MarkdownTable{rt, mt},
		Figures: []Figure{
			{File: "rff_loss.png", Caption: "(a) Training and test squared loss against the number of random features; the vertical line is N = n."},
			{File: "rff_error.png", Caption: "(a) Training and test 0-1 error."},
			{File: "rff_norm.png", Caption: "(a) Frobenius norm of the minimum-norm coefficients."},
			{File: "mlp_width.png", Caption: "(b) Training error (on the noisy labels and on the true labels) and test error against the hidden width; the vertical line is the interpolation threshold."},
		},
		Notes: []string{
			"(a) The height of the peak at N = n is set by the smallest singular values of the square feature matrix, so it varies from seed to seed; where it falls does not.",
			"(b) Nakkiran et al. train for 4k epochs and average several runs; Belkin et al.'s network experiment reuses the smaller networks' weights to initialise the larger ones. Here each width is trained once from a fresh initialisation for a fixed number of epochs, so the model-wise peak is a single noisy measurement per width.",
		},
	}
	if margin, se := ddPeakSignificance(mlp, peak); peak > 0 && peak+1 < len(mlp) {
		sum.Notes = append(sum.Notes, fmt.Sprintf("(b) Sampling noise: the largest interior bump (width %d) is %.2f points above the best smaller width; the binomial standard error of the difference of two test errors measured on %d images is ≈ %.2f points, so the bump is %.1f standard errors high%s.",
			mlp[peak].width, 100*margin, mlp[peak].test.N, 100*se, margin/se, yesNo(margin >= 2*se, "", " — within the noise of one run, so this run does not establish a model-wise peak firmly, whatever the δ criterion says")))
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, fmt.Sprintf("Quick mode: n = %d for (a) and %d training images, widths %v and %d epochs for (b); run without -quick for the full experiment.", cfg.rffN, cfg.mlpSizes.Train, cfg.widths, cfg.epochs))
	}
	return env.WriteSummary(sum)
}
