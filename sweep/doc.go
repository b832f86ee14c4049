// Package sweep runs a grid or a random search of training runs, each over
// several seeds, on this machine or as one Slurm job array, and gathers the
// results.
//
// A [Spec] names a base recipe (any JSON object) and the axes that vary it:
// each axis sets one field, named by a dotted path such as "config.hidden_dropout", to
// grid values or to seeded random draws (uniform, log-uniform or a choice
// among values). [Spec.Plan] expands the spec into a deterministic list of
// runs: the grid's product (first axis slowest) × the random samples × the
// seeds. A run's ID is a hash of its full recipe in canonical JSON (sorted
// keys, canonical numbers), so the same recipe always has the same ID and
// the same output folder, OUT/ID, however the spec spelled it.
//
// What a run does is up to a [Runner]; zoo's command line passes the
// training path (recipe → trained model → result). [Execute] runs a plan's
// runs on a pool of workers, skips every run whose record (run.json, written
// only when a run finishes) matches its recipe hash, and leaves an
// interrupted run's checkpoint for the next attempt to resume. [Collect]
// reads the records back into one table; [Summarize] gives mean ± standard
// deviation over seeds per configuration and the best configuration by a
// validation metric (a test metric is refused); [PlotAxes] draws the
// metric against each swept axis.
//
// [SbatchScript] writes the Slurm batch script of a job array whose task i
// runs run i of the plan; task i and a local run of index i do the same
// thing, so a sweep can move between a laptop and a cluster with its
// results.
package sweep
