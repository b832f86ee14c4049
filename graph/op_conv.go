package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// conv2dWithBias is the 2-D cross-correlation of x (N,C,H,W) with filters w
// (O,C,kh,kw), PyTorch's F.conv2d layout and semantics (zero padding pad on
// each side, stride, dilation 1), plus a per-channel bias b (O) if b is not
// nil. Output (N,O,OH,OW) with OH = ⌊(H + 2·pad − kh)/stride⌋ + 1.
//
// The convolution is Gorgonia's Conv2d (im2col and one matrix product),
// which matched PyTorch's fixtures and finite differences for square and
// rectangular kernels, strides and paddings (op_conv_test.go); the bias is
// zoo's one-pass biasAdd.
func conv2dWithBias(x, w, b *G.Node, pad, stride [2]int) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, errors.WithMessage(err, "graph: conv2d")
	}
	if xs.Dims() != 4 || ws.Dims() != 4 || ws[1] != xs[1] || w.Dtype() != x.Dtype() {
		return nil, errors.Wrapf(ErrShape, "conv2d: x %v %v, w %v %v (want x (N,C,H,W), w (O,C,kh,kw), one dtype)",
			xs, x.Dtype(), ws, w.Dtype())
	}
	for i := 0; i < 2; i++ {
		if stride[i] < 1 || pad[i] < 0 {
			return nil, errors.Wrapf(ErrConfig, "graph: conv2d: pad %v, stride %v (want pad ≥ 0, stride ≥ 1)", pad, stride)
		}
		if xs[2+i]+2*pad[i] < ws[2+i] {
			return nil, errors.Wrapf(ErrShape, "conv2d: kernel %v larger than the padded input %v (pad %v)", ws[2:], xs[2:], pad)
		}
	}
	if b != nil && (b.Shape().Dims() != 1 || b.Shape()[0] != ws[0] || b.Dtype() != x.Dtype()) {
		return nil, errors.Wrapf(ErrShape, "conv2d: bias %v %v for %d filters", b.Shape(), b.Dtype(), ws[0])
	}
	y, err := G.Conv2d(x, w, tensor.Shape{ws[2], ws[3]}, pad[:], stride[:], []int{1, 1})
	if err != nil {
		return nil, errors.Wrap(err, "graph: conv2d")
	}
	if b == nil {
		return y, nil
	}
	return biasAdd(y, b)
}
