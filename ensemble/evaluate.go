package ensemble

import (
	"context"
	"math"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/training"
)

// Combine says how member probabilities are averaged.
type Combine uint8

const (
	// Arithmetic is the mean of the members' probabilities, (1/K)·Σₖ p_k.
	Arithmetic Combine = iota
	// Geometric is the normalised geometric mean, p_c ∝ exp((1/K)·Σₖ log p_kc).
	// A probability that underflowed to 0 counts as the smallest positive
	// float64, 5e-324.
	Geometric
)

func (c Combine) String() string {
	if c == Geometric {
		return "geometric"
	}
	return "arithmetic"
}

// ParseCombine returns the Combine named s ("arithmetic" or "geometric").
func ParseCombine(s string) (Combine, error) {
	switch s {
	case "arithmetic":
		return Arithmetic, nil
	case "geometric":
		return Geometric, nil
	}
	return 0, errors.Wrapf(ErrConfig, "ensemble: combine %q, want arithmetic or geometric", s)
}

// CombineProbs combines K members' probabilities, each row-major
// (N, classes) of the same shape, into the ensemble's.
func CombineProbs(probs [][]float64, classes int, c Combine) ([]float64, error) {
	if len(probs) == 0 || classes < 1 {
		return nil, errors.Wrap(ErrConfig, "ensemble: nothing to combine")
	}
	n := len(probs[0])
	for k, p := range probs {
		if len(p) != n || n%classes != 0 {
			return nil, errors.Wrapf(ErrConfig, "ensemble: member %d has %d probabilities, member 0 %d, %d classes", k, len(p), n, classes)
		}
	}
	out := make([]float64, n)
	inv := 1 / float64(len(probs))
	for r := 0; r < n; r += classes {
		row := out[r : r+classes]
		for _, p := range probs {
			for j, x := range p[r : r+classes] {
				if c == Geometric {
					row[j] += math.Log(max(x, math.SmallestNonzeroFloat64))
				} else {
					row[j] += x
				}
			}
		}
		if c == Arithmetic {
			for j := range row {
				row[j] *= inv
			}
			continue
		}
		top := math.Inf(-1)
		for j := range row {
			row[j] *= inv
			top = max(top, row[j])
		}
		var sum float64
		for j := range row {
			row[j] = math.Exp(row[j] - top)
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
	}
	return out, nil
}

// Report is an ensemble's scores on a dataset.
type Report struct {
	Combine string `json:"combine"`
	Members int    `json:"members"`
	N       int    `json:"n"`
	// Loss is the mean cross-entropy −log p(y|x) of the combined
	// probabilities, Accuracy the fraction whose most probable class is the
	// label.
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	// MemberLosses and MemberAccuracies are each member's own scores.
	MemberLosses     []float64 `json:"member_losses"`
	MemberAccuracies []float64 `json:"member_accuracies"`
	// Disagreement is the fraction of samples on which two members predict
	// different classes, averaged over all pairs of members (0 for K = 1).
	Disagreement float64 `json:"disagreement"`
	// Predictions are the ensemble's predicted classes, and Probs its
	// probabilities (N, classes), row-major.
	Predictions []int     `json:"-"`
	Probs       []float64 `json:"-"`
}

// Evaluate scores the ensemble of models on ds, each model in its
// evaluation graph with opts (Monte-Carlo dropout too, if opts asks).
func Evaluate(ctx context.Context, models []training.Model, ds *datasets.Dataset, c Combine, opts training.EvalOptions) (*Report, error) {
	if len(models) == 0 {
		return nil, errors.Wrap(ErrConfig, "ensemble: no members")
	}
	if ds == nil || ds.Len() == 0 {
		return nil, errors.Wrap(ErrConfig, "ensemble: no data")
	}
	probs, err := MemberProbs(ctx, models, ds, opts)
	if err != nil {
		return nil, err
	}
	return Score(probs, ds.Y, c)
}

// MemberProbs returns each model's class probabilities of the samples of
// ds, row-major (N, classes), from its evaluation graph with opts.
func MemberProbs(ctx context.Context, models []training.Model, ds *datasets.Dataset, opts training.EvalOptions) ([][]float64, error) {
	probs := make([][]float64, len(models))
	for k, m := range models {
		ev, err := training.NewEvaluator(m, opts)
		if err != nil {
			return nil, errors.WithMessagef(err, "ensemble: member %d", k)
		}
		probs[k], err = ev.Probabilities(ctx, ds)
		ev.Close()
		if err != nil {
			return nil, errors.WithMessagef(err, "ensemble: member %d", k)
		}
	}
	return probs, nil
}

// Score scores members' probabilities (each row-major (N, classes)) against
// labels y.
func Score(probs [][]float64, y []int, c Combine) (*Report, error) {
	n := len(y)
	if n == 0 || len(probs) == 0 || len(probs[0])%n != 0 {
		return nil, errors.Wrap(ErrConfig, "ensemble: probabilities do not match the labels")
	}
	classes := len(probs[0]) / n
	comb, err := CombineProbs(probs, classes, c)
	if err != nil {
		return nil, err
	}
	r := &Report{Combine: c.String(), Members: len(probs), N: n, Probs: comb}
	preds := make([][]int, len(probs))
	for k, p := range probs {
		var loss, acc float64
		loss, acc, preds[k] = scoreOne(p, y, classes)
		r.MemberLosses = append(r.MemberLosses, loss)
		r.MemberAccuracies = append(r.MemberAccuracies, acc)
	}
	r.Loss, r.Accuracy, r.Predictions = scoreOne(comb, y, classes)
	pairs := 0
	for a := range preds {
		for b := a + 1; b < len(preds); b++ {
			diff := 0
			for i := range preds[a] {
				if preds[a][i] != preds[b][i] {
					diff++
				}
			}
			r.Disagreement += float64(diff) / float64(n)
			pairs++
		}
	}
	if pairs > 0 {
		r.Disagreement /= float64(pairs)
	}
	return r, nil
}

// scoreOne returns the mean −log p(y), the accuracy and the argmax (the
// first of equal maxima) of probabilities p.
func scoreOne(p []float64, y []int, classes int) (loss, acc float64, pred []int) {
	pred = make([]int, len(y))
	correct := 0
	for i, label := range y {
		row := p[i*classes : (i+1)*classes]
		best := 0
		for j, x := range row {
			if x > row[best] {
				best = j
			}
		}
		pred[i] = best
		if best == label {
			correct++
		}
		loss -= math.Log(max(row[label], math.SmallestNonzeroFloat64))
	}
	return loss / float64(len(y)), float64(correct) / float64(len(y)), pred
}
