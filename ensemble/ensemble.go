package ensemble

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/training"
)

// ErrConfig is returned for an invalid ensemble configuration.
var ErrConfig = errors.New("ensemble: invalid configuration")

// Method says how members differ.
type Method uint8

const (
	// Independent members differ only by their seed: initial weights,
	// batch order, dropout masks.
	Independent Method = iota
	// Bagging members also train on their own bootstrap resample of the
	// training split (n draws with replacement).
	Bagging
)

func (m Method) String() string {
	if m == Bagging {
		return "bagging"
	}
	return "independent"
}

// Config configures [Train]. Members must be set; the rest has defaults.
type Config struct {
	// Members is the number of members K, ≥ 1.
	Members int
	// Method is Independent (default) or Bagging.
	Method Method
	// Seed is the base seed; member i's seed is MemberSeed(Seed, i).
	Seed uint64
	// Workers is how many members train at once. Default 0:
	// runtime.GOMAXPROCS(0). The result does not depend on it.
	Workers int
}

// Validate reports a configuration Train rejects.
func (c Config) Validate() error {
	switch {
	case c.Members < 1:
		return errors.Wrapf(ErrConfig, "ensemble: %d members, want ≥ 1", c.Members)
	case c.Method > Bagging:
		return errors.Wrapf(ErrConfig, "ensemble: method %d", c.Method)
	case c.Workers < 0:
		return errors.Wrapf(ErrConfig, "ensemble: %d workers, want ≥ 0", c.Workers)
	}
	return nil
}

// MemberSeed is member i's seed: base + i, so member 0 of base s is the run
// a single training with seed s would be.
func MemberSeed(base uint64, i int) uint64 { return base + uint64(i) }

// bootstrapStream is the PCG stream of the bootstrap draws.
const bootstrapStream = 0xb0075742

// Bootstrap returns n indices drawn uniformly with replacement from [0, n),
// a pure function of (n, seed), in the order drawn.
func Bootstrap(n int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, bootstrapStream))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = rng.IntN(n)
	}
	return idx
}

// Builder returns member i's model, initialised from seed, and its training
// configuration (cfg.Seed is set to seed by Train). It is called once per
// member, possibly from several goroutines at once, and must return a fresh
// model and optimizer each time.
type Builder func(i int, seed uint64) (training.Model, training.Config, error)

// Member is one trained member.
type Member struct {
	Index int
	Seed  uint64
	Model training.Model
	// History is Fit's record (nil if Fit never started).
	History *training.History
	// Train is the member's training data: the training split, or its
	// bootstrap resample with Bagging.
	Train *datasets.Dataset
}

// Train builds and trains cfg.Members members on train (each a bootstrap
// resample of it with Bagging), validating on val (may be nil, as for
// training.Fit), on up to cfg.Workers goroutines. It returns the members in
// order. If any member fails (ctx cancelled, divergence), the others run to
// their own end, and the error returned is the first member's, by index,
// with every member that has a history.
func Train(ctx context.Context, build Builder, trainSet, val *datasets.Dataset, cfg Config) ([]*Member, error) {
	return train(ctx, build, func(int, uint64) (*datasets.Dataset, *datasets.Dataset, error) { return trainSet, val, nil }, cfg)
}

// splitter returns member i's training and validation sets (val may be
// nil), before any bootstrap.
type splitter func(i int, seed uint64) (train, val *datasets.Dataset, err error)

func train(ctx context.Context, build Builder, split splitter, cfg Config) ([]*Member, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if build == nil {
		return nil, errors.Wrap(ErrConfig, "ensemble: no builder")
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, cfg.Members)
	members := make([]*Member, cfg.Members)
	errs := make([]error, cfg.Members)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				members[i], errs[i] = trainMember(ctx, build, split, i, cfg)
			}
		}()
	}
	for i := range cfg.Members {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return members, errors.WithMessagef(err, "ensemble: member %d", i)
		}
	}
	return members, nil
}

func trainMember(ctx context.Context, build Builder, split splitter, i int, cfg Config) (*Member, error) {
	seed := MemberSeed(cfg.Seed, i)
	trainSet, val, err := split(i, seed)
	if err != nil {
		return nil, err
	}
	m, tcfg, err := build(i, seed)
	if err != nil {
		return nil, err
	}
	mem := &Member{Index: i, Seed: seed, Model: m, Train: trainSet}
	if cfg.Method == Bagging {
		if mem.Train, err = trainSet.Subset(Bootstrap(trainSet.Len(), seed)); err != nil {
			return mem, err
		}
	}
	if val != nil && val.Len() == 0 {
		val = nil
	}
	tcfg.Seed = seed
	mem.History, err = training.Fit(ctx, m, mem.Train, val, tcfg)
	return mem, err
}
