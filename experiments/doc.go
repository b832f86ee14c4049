// Package experiments provides zoo's reproductions of figures from the
// regularization literature: each experiment trains small models on MNIST,
// writes every measured point to CSV, draws figures with labelled axes, and
// writes a summary.md that states what was measured, which figure of which
// paper it corresponds to, and whether the paper's qualitative claim held in
// this run. The verdict is computed from the measured data, by the
// experiment's Judge applied to the key numbers of the [Result].
//
// Experiments are registered by name; [List] enumerates them and [Run] runs
// one into a directory:
//
//	res, err := experiments.Run(ctx, "l1-vs-l2", experiments.Options{Out: "runs/experiments/l1-vs-l2", Quick: true})
//
// [RunSeeds] runs one experiment once per seed and summarises the key
// numbers over the seeds (mean, standard deviation, min, max), with each
// seed's verdict and the Judge applied to the mean key numbers.
//
// Quick mode trains on small subsets for a few epochs (seconds to tens of
// seconds on two cores) and still checks the claim; full mode uses the
// sizes given in each experiment's documentation and takes minutes.
//
// Runs are deterministic: the same Options (seed, mode, data) give
// byte-identical CSV files. Wall-clock timings appear only in summary.md
// and in the [Result], never in a CSV.
//
// Writing an experiment takes an [Experiment] value with a Judge and a Run function that
// uses the [Env] it is handed: [Env.MNIST] for class-balanced subsets of
// MNIST, [Env.WriteCSV] with a [Table], [LinePlot] and [HistogramPlot] with
// [Env.SavePlot], and a [Summary] passed to [Env.WriteSummary].
package experiments
