package datasets

// DefaultBatchSize is the batch size used when BatchOptions.BatchSize is 0.
const DefaultBatchSize = 128

// BatchOptions configures a batch iterator. The zero value iterates in
// dataset order with batches of DefaultBatchSize and keeps a short last
// batch: the evaluation setting.
type BatchOptions struct {
	// BatchSize is the number of samples per batch. Default (0): 128.
	BatchSize int
	// Shuffle visits the samples of epoch e in the order
	// Permutation(Seed, e, N), a pure function of (Seed, e). Default false:
	// dataset order, every epoch the same.
	Shuffle bool
	// Seed seeds the shuffles. Default 0 (a valid seed).
	Seed uint64
	// DropLast skips a last batch shorter than BatchSize. Default false:
	// the last batch is returned with its valid length. Do not set it for
	// evaluation, where every sample must count once.
	DropLast bool
}

// Validate reports a negative batch size.
func (o BatchOptions) Validate() error {
	if o.BatchSize < 0 {
		return errorf(ErrConfig, "batch size %d is negative", o.BatchSize)
	}
	return nil
}

func (o BatchOptions) batchSize() int {
	if o.BatchSize == 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}

// Batches iterates over a Dataset in batches, one epoch at a time, filling
// buffers it owns: after construction it allocates nothing per batch.
//
//	it, _ := NewBatches(train, BatchOptions{BatchSize: 100, Shuffle: true, Seed: 1})
//	for epoch := 0; epoch < epochs; epoch++ {
//		it.StartEpoch(epoch)
//		for x, y, n := it.Next(); n > 0; x, y, n = it.Next() { ... }
//	}
//
// A Batches is not safe for concurrent use.
type Batches struct {
	ds    *Dataset
	opts  BatchOptions
	size  int
	order []int // sample order of the current epoch
	pos   int   // next position in order
	epoch int
	x     []float32
	y     []int
	idx   []int // sample indices of the last batch
}

// NewBatches returns an iterator over ds positioned at the start of epoch
// 0. ds must stay unchanged while the iterator is in use.
func NewBatches(ds *Dataset, opts BatchOptions) (*Batches, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	b := &Batches{
		ds:    ds,
		opts:  opts,
		size:  opts.batchSize(),
		order: make([]int, ds.Len()),
	}
	b.x = make([]float32, b.size*ds.Features())
	b.y = make([]int, b.size)
	b.idx = make([]int, 0, b.size)
	if err := b.StartEpoch(0); err != nil {
		return nil, err
	}
	return b, nil
}

// StartEpoch rewinds the iterator to the start of epoch e (e >= 0). With
// Shuffle the order is Permutation(Seed, e, N), so resuming a run at epoch
// e needs nothing but e.
func (b *Batches) StartEpoch(e int) error {
	if e < 0 {
		return errorf(ErrConfig, "epoch %d is negative", e)
	}
	b.epoch, b.pos = e, 0
	if b.opts.Shuffle {
		permute(b.order, b.opts.Seed, e)
	} else {
		for i := range b.order {
			b.order[i] = i
		}
	}
	return nil
}

// Epoch returns the current epoch.
func (b *Batches) Epoch() int { return b.epoch }

// BatchSize returns the (full) batch size.
func (b *Batches) BatchSize() int { return b.size }

// NumBatches returns the number of batches Next yields per epoch.
func (b *Batches) NumBatches() int {
	n := b.ds.Len()
	if b.opts.DropLast {
		return n / b.size
	}
	return (n + b.size - 1) / b.size
}

// Next returns the next batch of the epoch: n samples (n <= BatchSize),
// their features x (len n*D, row-major) and labels y (len n). n == 0 means
// the epoch is over. x and y are views of buffers owned by the iterator,
// valid until the next call to Next or StartEpoch. Their capacity is the
// full batch: in a short last batch x[:cap(x)] and y[:cap(y)] are padded
// with zeros past n, for callers that need a fixed shape.
func (b *Batches) Next() (x []float32, y []int, n int) {
	n = b.gather(b.x, b.y)
	return b.x[:n*b.ds.Features()], b.y[:n], n
}

// NextInto is Next gathering into buffers of the caller's: it writes the
// next batch's features into x and labels into y, zero-pads both past the
// n samples to BatchSize, and returns n (0 at the end of the epoch, when x
// and y are left as they were). x needs BatchSize*D elements and y
// BatchSize; shorter buffers are an ErrShape error and leave the position
// unchanged. With buffers of its own, a goroutine can gather the next batch
// while the caller still uses the previous one.
func (b *Batches) NextInto(x []float32, y []int) (n int, err error) {
	if len(x) < b.size*b.ds.Features() || len(y) < b.size {
		return 0, errorf(ErrShape, "batch buffers of %d features and %d labels, want %d and %d",
			len(x), len(y), b.size*b.ds.Features(), b.size)
	}
	return b.gather(x, y), nil
}

// gather copies the next batch into x and y (room for a full batch), pads
// them with zeros and advances the position.
func (b *Batches) gather(x []float32, y []int) (n int) {
	total := len(b.order)
	n = min(b.size, total-b.pos)
	if n <= 0 || (b.opts.DropLast && n < b.size) {
		b.pos = total
		b.idx = b.idx[:0]
		return 0
	}
	D := b.ds.Features()
	b.idx = b.idx[:n]
	for k := 0; k < n; k++ {
		i := b.order[b.pos+k]
		b.idx[k] = i
		copy(x[k*D:(k+1)*D], b.ds.X[i*D:(i+1)*D])
		y[k] = b.ds.Y[i]
	}
	if n < b.size {
		clear(x[n*D : b.size*D])
		clear(y[n:b.size])
	}
	b.pos += n
	return n
}

// Indices returns the dataset indices of the samples in the batch last
// returned by Next, valid until the next call.
func (b *Batches) Indices() []int { return b.idx }

// OneHot writes the one-hot encoding of labels into dst (len(labels) rows
// of numClasses columns, row-major) and returns dst[:len(labels)*numClasses].
// dst is reallocated only if too small.
func OneHot(dst []float32, labels []int, numClasses int) ([]float32, error) {
	if numClasses <= 0 {
		return nil, errorf(ErrConfig, "numClasses %d is not positive", numClasses)
	}
	need := len(labels) * numClasses
	if cap(dst) < need {
		dst = make([]float32, need)
	}
	dst = dst[:need]
	clear(dst)
	for i, y := range labels {
		if y < 0 || y >= numClasses {
			return nil, errorf(ErrLabelRange, "label %d at index %d, want 0..%d", y, i, numClasses-1)
		}
		dst[i*numClasses+y] = 1
	}
	return dst, nil
}
