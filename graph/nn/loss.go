package nn

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
)

// CrossEntropy returns the softmax cross-entropy of logits (N, K) against
// integer class labels (N) (a float node holding 0…K−1), averaged over the
// batch: (1/N)·Σₙ −log softmax(zₙ)[yₙ], PyTorch's F.cross_entropy with
// reduction="mean". Each row's log-sum-exp is taken around that row's own
// maximum, so logits of ±1000 give finite losses and gradients in float32
// and float64 (tensor v0.9.24's SoftMax uses the maximum of the whole array
// instead and overflows).
func CrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	l, err := ops.SoftmaxCrossEntropy(logits, labels)
	return l, errors.WithMessage(err, "graph: cross-entropy")
}

// MeanSquaredError returns the mean over all elements of (pred − target)²,
// PyTorch's F.mse_loss with reduction="mean" (no ½).
func MeanSquaredError(pred, target *G.Node) (*G.Node, error) {
	l, err := ops.MeanSquaredError(pred, target)
	return l, errors.WithMessage(err, "graph: mean squared error")
}

// Softmax returns the row-wise softmax of a (N, K) node, stabilised per row.
func Softmax(x *G.Node) (*G.Node, error) {
	y, err := ops.Softmax(x)
	return y, errors.WithMessage(err, "graph: softmax")
}

// LogSoftmax returns the row-wise log-softmax of a (N, K) node.
func LogSoftmax(x *G.Node) (*G.Node, error) {
	y, err := ops.LogSoftmax(x)
	return y, errors.WithMessage(err, "graph: log-softmax")
}

// LogProbs returns the row-wise log-softmax of the first rows rows of a
// (N, K) logits tensor, in float64, computed with the same per-row
// stabilisation as [CrossEntropy]. Evaluation code uses it to score padded
// batches row by row.
func LogProbs(logits *tensor.Dense, rows int) ([]float64, error) {
	return AppendLogProbs(nil, logits, rows)
}

// AppendLogProbs is LogProbs writing into dst's storage when it has room
// (dst[:0] is reused, else a new slice is made): a caller scoring batch
// after batch keeps one buffer instead of allocating one per batch.
func AppendLogProbs(dst []float64, logits *tensor.Dense, rows int) ([]float64, error) {
	s := logits.Shape()
	if s.Dims() != 2 || rows < 0 || rows > s[0] || s[1] == 0 {
		return nil, errors.Wrapf(graph.ErrShape, "log-probs: logits %v, %d rows", s, rows)
	}
	k := s[1]
	out := dst[:0]
	if cap(out) < rows*k {
		out = make([]float64, rows*k)
	}
	out = out[:rows*k]
	switch d := logits.Data().(type) {
	case []float32:
		for i := range out {
			out[i] = float64(d[i])
		}
	case []float64:
		copy(out, d[:rows*k])
	default:
		return nil, errors.Wrapf(graph.ErrDtype, "log-probs: %v", logits.Dtype())
	}
	ops.LogSoftmaxRows(out, out, k)
	return out, nil
}
