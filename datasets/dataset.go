package datasets

import (
	"gorgonia.org/tensor"
)

// MNISTClasses is the number of MNIST classes, the digits 0 to 9.
const MNISTClasses = 10

// Shape is the per-sample shape of image data: channels, height, width.
// A flat feature vector of length D is Shape{C: 1, H: 1, W: D}.
type Shape struct {
	C int `json:"c"` // channels
	H int `json:"h"` // height
	W int `json:"w"` // width
}

// Size returns C*H*W, the number of features per sample.
func (s Shape) Size() int { return s.C * s.H * s.W }

// Validate reports a shape with a non-positive or overflowing dimension.
func (s Shape) Validate() error {
	if s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return errorf(ErrShape, "shape %dx%dx%d has a non-positive dimension", s.C, s.H, s.W)
	}
	if s.C > maxDim/s.H || s.C*s.H > maxDim/s.W {
		return errorf(ErrShape, "shape %dx%dx%d is too large", s.C, s.H, s.W)
	}
	return nil
}

// Dataset is an in-memory labelled data set.
//
// X holds Len() samples of Shape.Size() float32 features each, row-major
// (sample i is X[i*D:(i+1)*D]); for image data the features of one sample
// are in C, H, W order, so X is also an N×C×H×W array. Loaded MNIST has
// values in [0,1] (pixel/255) and Shape{1, 28, 28}. Y holds one label per
// sample in [0, NumClasses).
type Dataset struct {
	X          []float32
	Y          []int
	Shape      Shape
	NumClasses int
}

// New checks x, y and shape for consistency and returns a Dataset that uses
// (does not copy) x and y.
func New(x []float32, y []int, shape Shape, numClasses int) (*Dataset, error) {
	d := &Dataset{X: x, Y: y, Shape: shape, NumClasses: numClasses}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Validate reports an inconsistent Dataset: a bad shape, len(X) that is not
// len(Y)*Shape.Size(), a non-positive NumClasses or a label out of range.
func (d *Dataset) Validate() error {
	if d == nil {
		return errorf(ErrShape, "nil dataset")
	}
	if err := d.Shape.Validate(); err != nil {
		return err
	}
	if d.NumClasses <= 0 {
		return errorf(ErrShape, "NumClasses %d is not positive", d.NumClasses)
	}
	if len(d.X) != len(d.Y)*d.Shape.Size() {
		return errorf(ErrShape, "%d features for %d labels of shape %dx%dx%d (want %d)",
			len(d.X), len(d.Y), d.Shape.C, d.Shape.H, d.Shape.W, len(d.Y)*d.Shape.Size())
	}
	for i, y := range d.Y {
		if y < 0 || y >= d.NumClasses {
			return errorf(ErrLabelRange, "label %d at index %d, want 0..%d", y, i, d.NumClasses-1)
		}
	}
	return nil
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Y) }

// Features returns the number of features per sample, Shape.Size().
func (d *Dataset) Features() int { return d.Shape.Size() }

// Row returns the features of sample i, sharing memory with X.
func (d *Dataset) Row(i int) []float32 {
	D := d.Features()
	return d.X[i*D : (i+1)*D : (i+1)*D]
}

// Matrix returns X as an N×D *tensor.Dense that shares X's memory: writes
// through either are seen by both.
func (d *Dataset) Matrix() (*tensor.Dense, error) {
	if err := d.checkView(); err != nil {
		return nil, err
	}
	return tensor.New(tensor.WithShape(d.Len(), d.Features()), tensor.WithBacking(d.X)), nil
}

// Images returns X as an N×C×H×W *tensor.Dense (NCHW, the layout of
// Gorgonia's Conv2d) that shares X's memory.
func (d *Dataset) Images() (*tensor.Dense, error) {
	if err := d.checkView(); err != nil {
		return nil, err
	}
	s := d.Shape
	return tensor.New(tensor.WithShape(d.Len(), s.C, s.H, s.W), tensor.WithBacking(d.X)), nil
}

// checkView validates d for a tensor view, which cannot be empty.
func (d *Dataset) checkView() error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Len() == 0 {
		return errorf(ErrEmpty, "no samples for a tensor view")
	}
	return nil
}

// Subset returns a new Dataset holding copies of the samples at idx, in
// that order. Indices may repeat.
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	D := d.Features()
	out := &Dataset{
		X:          make([]float32, 0, len(idx)*D),
		Y:          make([]int, 0, len(idx)),
		Shape:      d.Shape,
		NumClasses: d.NumClasses,
	}
	for _, i := range idx {
		if i < 0 || i >= d.Len() {
			return nil, errorf(ErrConfig, "subset index %d outside 0..%d", i, d.Len()-1)
		}
		out.X = append(out.X, d.Row(i)...)
		out.Y = append(out.Y, d.Y[i])
	}
	return out, nil
}

// Clone returns a deep copy of d.
func (d *Dataset) Clone() *Dataset {
	return &Dataset{
		X:          append([]float32(nil), d.X...),
		Y:          append([]int(nil), d.Y...),
		Shape:      d.Shape,
		NumClasses: d.NumClasses,
	}
}

// ClassCounts returns how many samples carry each label 0..NumClasses-1.
// Labels outside that range are not counted.
func (d *Dataset) ClassCounts() []int {
	return classCounts(d.Y, d.NumClasses)
}

func classCounts(labels []int, numClasses int) []int {
	counts := make([]int, max(numClasses, 0))
	for _, y := range labels {
		if y >= 0 && y < numClasses {
			counts[y]++
		}
	}
	return counts
}

// FromIDX builds a Dataset from an images IDX (ubyte, dimensions N×H×W) and
// a labels IDX (ubyte, dimension N) whose labels lie in [0, numClasses).
// Pixels are scaled to [0,1] as float32(p)/255.
func FromIDX(images, labels *IDX, numClasses int) (*Dataset, error) {
	if images == nil || labels == nil {
		return nil, errorf(ErrConfig, "nil IDX")
	}
	if numClasses <= 0 || numClasses > 256 {
		return nil, errorf(ErrConfig, "numClasses %d, want 1..256", numClasses)
	}
	if images.Type != UByte {
		return nil, errorf(ErrIDXType, "images are %s (0x%02x), want ubyte (0x08)", images.Type, byte(images.Type))
	}
	if labels.Type != UByte {
		return nil, errorf(ErrIDXType, "labels are %s (0x%02x), want ubyte (0x08)", labels.Type, byte(labels.Type))
	}
	if len(images.Dims) != 3 {
		return nil, errorf(ErrIDXDims, "images have %d dimensions %v, want 3 (count, rows, cols)", len(images.Dims), images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, errorf(ErrIDXDims, "labels have %d dimensions %v, want 1 (count)", len(labels.Dims), labels.Dims)
	}
	n, rows, cols := images.Dims[0], images.Dims[1], images.Dims[2]
	shape := Shape{C: 1, H: rows, W: cols}
	if err := shape.Validate(); err != nil {
		return nil, errorf(ErrIDXDims, "images are %dx%d", rows, cols)
	}
	if n != labels.Dims[0] {
		return nil, errorf(ErrCountMismatch, "%d images, %d labels", n, labels.Dims[0])
	}
	if size, ok := payloadSize(UByte, images.Dims); !ok || int64(len(images.Data)) != size || len(labels.Data) != n {
		return nil, errorf(ErrShape, "idx data length disagrees with its dimensions")
	}
	y := make([]int, n)
	for i, b := range labels.Data {
		if int(b) >= numClasses {
			return nil, errorf(ErrLabelRange, "label %d at index %d, want 0..%d", b, i, numClasses-1)
		}
		y[i] = int(b)
	}
	x := make([]float32, len(images.Data))
	for i, p := range images.Data {
		x[i] = float32(p) / 255
	}
	return &Dataset{X: x, Y: y, Shape: shape, NumClasses: numClasses}, nil
}
