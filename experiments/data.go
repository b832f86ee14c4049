package experiments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
)

// Sizes are the numbers of images an experiment uses. Train and Val are
// disjoint class-balanced subsets of MNIST's training set; Test is a
// class-balanced subset of the test set. Balanced subsets need multiples of
// the number of classes (10).
type Sizes struct {
	// Train is the number of training images. 0 means every training
	// image not in the validation split.
	Train int
	// Val is the number of held-out validation images. 0 means none.
	Val int
	// Test is the number of test images. 0 means the whole test set.
	Test int
}

// Data is the data of one experiment run.
type Data struct {
	Train, Val, Test *datasets.Dataset
	// Source describes where MNIST was read from and how the subsets were
	// drawn, for the summary.
	Source string
}

// Streams of Env.Rand used by the helpers of this package. Experiments use
// streams from 100 on.
const (
	streamData = 1 // drawing the subsets
)

// mnistCache holds MNIST loaded once per process and directory: it is read
// only (subsets are copies), and loading takes seconds.
var mnistCache struct {
	sync.Mutex
	byDir map[string]*datasets.MNIST
}

func loadMNIST(ctx context.Context, dir string) (*datasets.MNIST, error) {
	mnistCache.Lock()
	defer mnistCache.Unlock()
	if m, ok := mnistCache.byDir[dir]; ok {
		return m, nil
	}
	m, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: dir})
	if err != nil {
		return nil, errors.WithMessage(err, "experiments: loading MNIST")
	}
	if mnistCache.byDir == nil {
		mnistCache.byDir = map[string]*datasets.MNIST{}
	}
	mnistCache.byDir[dir] = m
	return m, nil
}

// MNIST loads MNIST (from Options.DataDir or the datasets package's
// default) and draws the subsets of the given sizes with the run's seed.
// Within each class the images are shuffled by the seed; the training
// subset takes the first Train/10 of each class and the validation subset
// the next Val/10, so the two never overlap. Subsets are kept in the data
// set's order.
func (e *Env) MNIST(ctx context.Context, sz Sizes) (*Data, error) {
	m, err := loadMNIST(ctx, e.opts.DataDir)
	if err != nil {
		return nil, err
	}
	rng := e.Rand(streamData)
	k := m.Train.NumClasses
	for _, n := range []int{sz.Train, sz.Val, sz.Test} {
		if n < 0 || n%k != 0 {
			return nil, errors.Wrapf(ErrConfig, "experiments: subset sizes %+v must be ≥ 0 multiples of %d", sz, k)
		}
	}
	byClass := shuffledByClass(m.Train.Y, k, rng)
	var trainIdx, valIdx []int
	for c, idx := range byClass {
		nv := sz.Val / k
		nt := sz.Train / k
		if sz.Train == 0 {
			nt = len(idx) - nv
		}
		if nt+nv > len(idx) || nt <= 0 {
			return nil, errors.Wrapf(ErrConfig, "experiments: class %d has %d training images, fewer than %d+%d", c, len(idx), nt, nv)
		}
		trainIdx = append(trainIdx, idx[:nt]...)
		valIdx = append(valIdx, idx[nt:nt+nv]...)
	}
	d := &Data{}
	if d.Train, err = subset(m.Train, trainIdx); err != nil {
		return nil, err
	}
	if len(valIdx) > 0 {
		if d.Val, err = subset(m.Train, valIdx); err != nil {
			return nil, err
		}
	}
	d.Test = m.Test
	if sz.Test > 0 && sz.Test < m.Test.Len() {
		var testIdx []int
		for c, idx := range shuffledByClass(m.Test.Y, k, rng) {
			if sz.Test/k > len(idx) {
				return nil, errors.Wrapf(ErrConfig, "experiments: test class %d has %d images, fewer than %d", c, len(idx), sz.Test/k)
			}
			testIdx = append(testIdx, idx[:sz.Test/k]...)
		}
		if d.Test, err = subset(m.Test, testIdx); err != nil {
			return nil, err
		}
	}
	valN := 0
	if d.Val != nil {
		valN = d.Val.Len()
	}
	d.Source = fmt.Sprintf("MNIST from %s (%s): %d training and %d validation images drawn class-balanced and disjoint from the %d training images, %d of the %d test images",
		m.Dir, m.Source, d.Train.Len(), valN, m.Train.Len(), d.Test.Len(), m.Test.Len())
	e.Logf("data: %d train, %d val, %d test", d.Train.Len(), valN, d.Test.Len())
	return d, nil
}

// shuffledByClass returns the indices of each class, shuffled by rng.
func shuffledByClass(labels []int, k int, rng *rand.Rand) [][]int {
	byClass := make([][]int, k)
	for i, y := range labels {
		if y >= 0 && y < k {
			byClass[y] = append(byClass[y], i)
		}
	}
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	return byClass
}

func subset(ds *datasets.Dataset, idx []int) (*datasets.Dataset, error) {
	idx = append([]int(nil), idx...)
	sort.Ints(idx)
	out, err := ds.Subset(idx)
	return out, errors.WithMessage(err, "experiments: subset")
}
