package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// softmaxCrossEntropy returns the scalar mean over the batch of the softmax
// cross-entropy of logits (N,K) against labels (N), a vector of the same
// float dtype holding class indices 0…K−1 (PyTorch's F.cross_entropy with
// reduction='mean'):
//
//	loss = (1/N) Σ_i ( m_i + log Σ_k exp(z[i,k] − m_i) − z[i,label_i] ),  m_i = max_k z[i,k]
//
// Each row is shifted by its own maximum, so logits of ±1000 give finite
// values in float32 and float64. The gradient with respect to the logits is
// (Softmax(z) − onehot(labels)) / N; labels get none. A label that is not an
// integer in [0, K) makes the forward (and backward) pass fail with an error
// wrapping [ErrShape] that names the row.
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	if err := check2D("softmax cross-entropy", logits); err != nil {
		return nil, err
	}
	ls := labels.Shape()
	if ls.Dims() != 1 || ls[0] != logits.Shape()[0] {
		return nil, errors.Wrapf(ErrShape, "softmax cross-entropy: labels %v for logits %v (want (N))", ls, logits.Shape())
	}
	if labels.Dtype() != logits.Dtype() {
		return nil, errors.Wrapf(ErrDtype, "softmax cross-entropy: labels %v, logits %v (want the same)", labels.Dtype(), logits.Dtype())
	}
	loss, err := G.ApplyOp(softmaxCEOp{}, logits, labels)
	return loss, errors.Wrap(err, "graph: softmax cross-entropy")
}

// meanSquaredError returns the scalar mean over all elements of
// (pred − target)² (PyTorch's F.mse_loss with reduction='mean', no ½),
// differentiable with respect to both: d/dpred = 2(pred − target)/numel.
func MeanSquaredError(pred, target *G.Node) (*G.Node, error) {
	if err := checkDtype(pred.Dtype()); err != nil {
		return nil, errors.WithMessage(err, "graph: mean squared error")
	}
	if !pred.Shape().Eq(target.Shape()) || pred.Dtype() != target.Dtype() {
		return nil, errors.Wrapf(ErrShape, "mean squared error: pred %v %v, target %v %v (want the same)",
			pred.Shape(), pred.Dtype(), target.Shape(), target.Dtype())
	}
	diff, err := G.Sub(pred, target)
	if err != nil {
		return nil, errors.Wrap(err, "graph: mean squared error")
	}
	sq, err := G.Square(diff)
	if err != nil {
		return nil, errors.Wrap(err, "graph: mean squared error")
	}
	mse, err := G.Mean(sq)
	return mse, errors.Wrap(err, "graph: mean squared error")
}

// softmaxCEOp maps (logits (N,K), labels (N)) to the mean cross-entropy.
type softmaxCEOp struct{}

func (softmaxCEOp) Arity() int { return 2 }
func (softmaxCEOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(&G.TensorType{Dims: 2, Of: a}, &G.TensorType{Dims: 1, Of: a}, a)
}
func (softmaxCEOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (softmaxCEOp) ReturnsPtr() bool                               { return false }
func (softmaxCEOp) CallsExtern() bool                              { return false }
func (softmaxCEOp) OverwritesInput() int                           { return -1 }
func (op softmaxCEOp) WriteHash(h hash.Hash)                       { fmt.Fprint(h, op.String()) }
func (op softmaxCEOp) Hashcode() uint32                            { return opHash(op) }
func (softmaxCEOp) String() string                                 { return "zoo.SoftmaxCrossEntropyMean" }
func (softmaxCEOp) DiffWRT(int) []bool                             { return []bool{true, false} }

func (softmaxCEOp) Do(vals ...G.Value) (G.Value, error) {
	z, labels, err := cEArgs("softmax cross-entropy", vals, 2)
	if err != nil {
		return nil, err
	}
	if zs, ok := z.Data().([]float32); ok {
		loss, err := cELoss(zs, labels.Data().([]float32), z.Shape()[1])
		if err != nil {
			return nil, err
		}
		return G.NewF32(float32(loss)), nil
	}
	loss, err := cELoss(z.Data().([]float64), labels.Data().([]float64), z.Shape()[1])
	if err != nil {
		return nil, err
	}
	return G.NewF64(loss), nil
}

// SymDiff: glogits = gy · (Softmax(z) − onehot(labels)) / N.
func (softmaxCEOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != 2 {
		return nil, errors.Wrapf(ErrShape, "softmax cross-entropy gradient: %d inputs, want 2", len(in))
	}
	gz, err := G.ApplyOp(softmaxCEGradOp{}, in[0], in[1], grad)
	return G.Nodes{gz, nil}, errors.Wrap(err, "graph: softmax cross-entropy gradient")
}

// softmaxCEGradOp maps (logits, labels, gy) to the logits' gradient.
type softmaxCEGradOp struct{}

func (softmaxCEGradOp) Arity() int { return 3 }
func (softmaxCEGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := &G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, &G.TensorType{Dims: 1, Of: a}, a, m)
}
func (softmaxCEGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (softmaxCEGradOp) ReturnsPtr() bool                                  { return false }
func (softmaxCEGradOp) CallsExtern() bool                                 { return false }
func (softmaxCEGradOp) OverwritesInput() int                              { return -1 }
func (op softmaxCEGradOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op softmaxCEGradOp) Hashcode() uint32                               { return opHash(op) }
func (softmaxCEGradOp) String() string                                    { return "zoo.SoftmaxCrossEntropyMeanGrad" }

func (op softmaxCEGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the logits' gradient into prealloc when it fits (see
// outputFor).
func (softmaxCEGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	const what = "softmax cross-entropy gradient"
	z, labels, err := cEArgs(what, vals, 3)
	if err != nil {
		return nil, err
	}
	gy, err := scalar(what, vals[2])
	if err != nil {
		return nil, err
	}
	out := outputFor(prealloc, z.Dtype(), z.Shape())
	k := z.Shape()[1]
	switch zs := z.Data().(type) {
	case []float32:
		err = cEGrad(zs, labels.Data().([]float32), out.Data().([]float32), k, gy)
	default:
		err = cEGrad(zs.([]float64), labels.Data().([]float64), out.Data().([]float64), k, gy)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cEArgs checks the first two of n inputs: logits (N,K) and labels (N).
func cEArgs(what string, vals []G.Value, n int) (z, labels *tensor.Dense, err error) {
	if len(vals) != n {
		return nil, nil, errors.Wrapf(ErrShape, "%s: %d inputs, want %d", what, len(vals), n)
	}
	if z, err = dense(what, vals[0], 2); err != nil {
		return nil, nil, err
	}
	if labels, err = dense(what, vals[1], 1); err != nil {
		return nil, nil, err
	}
	if labels.Shape()[0] != z.Shape()[0] || labels.Dtype() != z.Dtype() || z.Shape()[1] < 1 {
		return nil, nil, errors.Wrapf(ErrShape, "%s: logits %v %v, labels %v %v", what,
			z.Shape(), z.Dtype(), labels.Shape(), labels.Dtype())
	}
	return z, labels, nil
}

// label returns labels[i] as a class index in [0, k), or an error naming the row.
func label[T float](labels []T, i, k int) (int, error) {
	l := float64(labels[i])
	if !(l >= 0 && l < float64(k)) || l != math.Trunc(l) {
		return 0, errors.Wrapf(ErrLabel, "softmax cross-entropy: row %d: label %v (want an integer in [0, %d))", i, l, k)
	}
	return int(l), nil
}

// cELoss returns the mean over rows (length k) of log Σ exp(z) − z[label].
func cELoss[T float](z, labels []T, k int) (float64, error) {
	var sum float64
	var lse [lseChunk]float64
	var cs [lseChunk]int
	for i0 := 0; i0 < len(labels); i0 += lseChunk {
		i1 := min(len(labels), i0+lseChunk)
		for i := i0; i < i1; i++ {
			c, err := label(labels, i, k)
			if err != nil {
				return 0, err
			}
			cs[i-i0] = c
		}
		logSumExps(z[i0*k:i1*k], k, lse[:i1-i0])
		for i := i0; i < i1; i++ {
			sum += lse[i-i0] - float64(z[i*k+cs[i-i0]])
		}
	}
	return sum / float64(len(labels)), nil
}

// cEGrad writes g = gy · (Softmax(z) − onehot(labels)) / N.
func cEGrad[T float](z, labels, g []T, k int, gy float64) error {
	scale := gy / float64(len(labels))
	e := make([]float64, k)
	for i := range labels {
		c, err := label(labels, i, k)
		if err != nil {
			return err
		}
		inv := 1 / expRow(z[i*k:(i+1)*k], e)
		out := g[i*k : (i+1)*k]
		for j, v := range e {
			p := v * inv
			if j == c {
				p--
			}
			out[j] = T(p * scale)
		}
	}
	return nil
}

var _ G.UsePreallocDoer = softmaxCEGradOp{}
