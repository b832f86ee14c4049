package card

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// Card describes a trained model and its measured performance.
type Card struct {
	Model        string       `json:"model"`
	Description  string       `json:"description"`
	Architecture Architecture `json:"architecture"`
	Weights      Weights      `json:"weights"`
	Training     Training     `json:"training"`
	Data         Data         `json:"data"`
	Test         Test         `json:"test"`
	Calibration  Calib        `json:"calibration"`
	Speed        Speed        `json:"speed"`
	Paper        Paper        `json:"paper"`
}

// Architecture is the model's configuration and size.
type Architecture struct {
	Config     models.Config `json:"config"`
	InputShape []int         `json:"input_shape"`
	Parameters int           `json:"parameters"`
	Buffers    int           `json:"buffers"`
	Dtype      string        `json:"dtype"`
	// Bytes is the size of the parameters and buffers in memory.
	Bytes int `json:"bytes"`
}

// Weights says where the evaluated weights came from.
type Weights struct {
	// Source is "pretrained:NAME" for shipped weights or a file path.
	Source string `json:"source"`
	// SHA256 and FileBytes describe the file (empty/0 if unknown).
	SHA256    string `json:"sha256,omitempty"`
	FileBytes int64  `json:"file_bytes,omitempty"`
	// ZooCommit is the commit of the build that trained them, if known.
	ZooCommit string `json:"zoo_commit,omitempty"`
}

// Training is the recipe the weights were trained with.
type Training struct {
	Recipe models.Recipe `json:"recipe"`
	// RecipeFrom says where Recipe comes from: "manifest" (shipped
	// weights), "checkpoint" (stored with the weights) or "registry" (the
	// model's default recipe, when the weights carry none).
	RecipeFrom string `json:"recipe_from"`
	Command    string `json:"command,omitempty"`
	// Epochs is the number of epochs run (0 if unknown).
	Epochs int `json:"epochs"`
}

// Data is the data set and its split.
type Data struct {
	Dataset string `json:"dataset"`
	// Train and Val count the training images used for fitting and held
	// out for validation (split from MNIST's 60,000 training images);
	// Test counts the test images the card evaluates on.
	Train int    `json:"train"`
	Val   int    `json:"val"`
	Test  int    `json:"test"`
	Split string `json:"split"`
}

// Test is the evaluation on the test set.
type Test struct {
	N       int     `json:"n"`
	Correct int     `json:"correct"`
	Errors  int     `json:"errors"`
	Error   float64 `json:"error"` // percent
	// ErrorCI95 is the Wilson 95% interval of the error rate, percent.
	ErrorCI95 [2]float64 `json:"error_ci95"`
	Loss      float64    `json:"loss"`
	// PerClassAccuracy[d] is the accuracy on the test images of digit d,
	// PerClassCount[d] their number.
	PerClassAccuracy []float64 `json:"per_class_accuracy"`
	PerClassCount    []int     `json:"per_class_count"`
	// Confusion[true][predicted] counts the test images.
	Confusion [][]int `json:"confusion"`
}

// Calib is the calibration of the predicted probabilities.
type Calib struct {
	ECE  float64 `json:"ece"`
	Bins []Bin   `json:"bins"`
	// MeanConfidence is the mean top-class probability, beside the
	// accuracy it estimates.
	MeanConfidence float64 `json:"mean_confidence"`
	// Diagram is the reliability diagram's file, if one was written.
	Diagram string `json:"diagram,omitempty"`
}

// Speed is the evaluation speed on the machine that made the card.
type Speed struct {
	SamplesPerSecond float64 `json:"samples_per_second"`
	BatchSize        int     `json:"batch_size"`
	GOMAXPROCS       int     `json:"gomaxprocs"`
	BLAS             string  `json:"blas"`
	GOOS             string  `json:"goos"`
	GOARCH           string  `json:"goarch"`
	// LoadAverage is the 1-minute load average when the card was made
	// (Linux's /proc/loadavg; null elsewhere): other jobs slow the
	// measurement down.
	LoadAverage *float64 `json:"load_average"`
}

// loadAverage reads the 1-minute load average from /proc/loadavg.
func loadAverage() *float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return nil
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return nil
	}
	return &v
}

// Paper is the source of the architecture and its reported test error.
type Paper struct {
	Reference string `json:"reference"`
	// Error is the paper's MNIST test error in percent (null if it
	// reports none), ZooError zoo's, measured for this card.
	Error    *float64 `json:"error"`
	ZooError float64  `json:"zoo_error"`
}

// Source is what Make needs to know about a model besides the model.
type Source struct {
	// Checkpoint is the checkpoint the model was restored from (for its
	// stored recipe and epochs); may be nil.
	Checkpoint *training.Checkpoint
	Weights    Weights
	// Recipe, Epochs and Command describe the training when the
	// checkpoint does not (a shipped file's manifest); Recipe nil and
	// Epochs 0 mean: read them from the checkpoint.
	Recipe  *models.Recipe
	Epochs  int
	Command string
}

// Options configures Make. The zero value is ready to use.
type Options struct {
	// Bins is the number of calibration bins. Default 15.
	Bins int
	// BatchSize is the evaluation batch size. Default 1000.
	BatchSize int
}

// Make evaluates m on the test set and fills in a card from the registry
// entry m was built from and src.
func Make(ctx context.Context, m *models.Model, src Source, test *datasets.Dataset, opts Options) (*Card, error) {
	if opts.Bins == 0 {
		opts.Bins = 15
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 1000
	}
	if opts.Bins < 1 || opts.BatchSize < 1 {
		return nil, errors.Errorf("card: bins %d and batch size %d must be ≥ 1", opts.Bins, opts.BatchSize)
	}
	e, err := models.Lookup(m.Name())
	if err != nil {
		return nil, errors.WithMessage(err, "card")
	}
	c := &Card{Model: m.Name(), Description: e.Description, Weights: src.Weights}
	c.Architecture = Architecture{Config: m.Config(), InputShape: m.InputShape(), Dtype: m.Store().Dtype().String()}
	for _, v := range m.Store().Vars() {
		n := v.Shape().TotalSize()
		c.Architecture.Bytes += n * int(m.Store().Dtype().Size())
		if v.Kind() == graph.Parameter {
			c.Architecture.Parameters += n
		} else {
			c.Architecture.Buffers += n
		}
	}
	c.Training = Training{Recipe: e.Recipe.Normalized(), RecipeFrom: "registry", Command: src.Command, Epochs: src.Epochs}
	if ck := src.Checkpoint; ck != nil {
		if r, err := models.ParseRecipe(ck.TrainingConfig); err == nil {
			c.Training.Recipe, c.Training.RecipeFrom = r.Normalized(), "checkpoint"
		}
		if c.Training.Epochs == 0 {
			c.Training.Epochs = ck.Epoch
		}
	}
	if src.Recipe != nil {
		c.Training.Recipe, c.Training.RecipeFrom = src.Recipe.Normalized(), "manifest"
	}
	c.Data = split(c.Training.Recipe)
	c.Data.Test = test.Len()

	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: min(opts.BatchSize, max(1, test.Len()))})
	if err != nil {
		return nil, errors.WithMessage(err, "card")
	}
	defer ev.Close()
	start := time.Now()
	probs, err := ev.Probabilities(ctx, test)
	if err != nil {
		return nil, errors.WithMessage(err, "card")
	}
	secs := time.Since(start).Seconds()
	c.Speed = Speed{SamplesPerSecond: float64(test.Len()) / secs, BatchSize: opts.BatchSize,
		GOMAXPROCS: runtime.GOMAXPROCS(0), BLAS: graph.BLASName(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, LoadAverage: loadAverage()}
	c.Test, c.Calibration = score(probs, test, opts.Bins)
	c.Paper = Paper{Reference: e.Paper, ZooError: c.Test.Error}
	if e.PaperError > 0 {
		pe := e.PaperError
		c.Paper.Error = &pe
	}
	return c, nil
}

// score computes the test metrics and calibration from the class
// probabilities (N × k, row by row).
func score(probs []float64, ds *datasets.Dataset, bins int) (Test, Calib) {
	n, k := ds.Len(), ds.NumClasses
	t := Test{N: n, PerClassAccuracy: make([]float64, k), PerClassCount: make([]int, k), Confusion: make([][]int, k)}
	for i := range t.Confusion {
		t.Confusion[i] = make([]int, k)
	}
	conf := make([]float64, n)
	correct := make([]bool, n)
	var loss, sumConf float64
	for i := 0; i < n; i++ {
		row := probs[i*k : (i+1)*k]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		y := ds.Y[i]
		t.Confusion[y][best]++
		t.PerClassCount[y]++
		conf[i], correct[i] = row[best], best == y
		if correct[i] {
			t.Correct++
		}
		loss -= math.Log(row[y])
		sumConf += row[best]
	}
	for d := range t.PerClassAccuracy {
		if t.PerClassCount[d] > 0 {
			t.PerClassAccuracy[d] = float64(t.Confusion[d][d]) / float64(t.PerClassCount[d])
		}
	}
	t.Errors = n - t.Correct
	if n > 0 {
		t.Error = 100 * float64(t.Errors) / float64(n)
		t.Loss = loss / float64(n)
		lo, hi := Wilson(t.Errors, n, Z95)
		t.ErrorCI95 = [2]float64{100 * lo, 100 * hi}
	}
	var c Calib
	c.ECE, c.Bins = Calibration(conf, correct, bins)
	if n > 0 {
		c.MeanConfidence = sumConf / float64(n)
	}
	return t, c
}

// mnistTrain is the number of MNIST training images.
const mnistTrain = 60000

// split describes the data and the held-out split a recipe makes of MNIST's
// 60,000 training images (datasets.HeldOutCount; TrainLimit then takes a
// class-balanced subset of the fitting set).
func split(r models.Recipe) Data {
	d := Data{Dataset: "MNIST (LeCun, Cortes & Burges), 28×28 grey, 10 classes"}
	d.Val = datasets.HeldOutCount(mnistTrain, r.ValFrac)
	d.Train = mnistTrain - d.Val
	if r.TrainLimit > 0 {
		d.Train = min(d.Train, r.TrainLimit)
	}
	d.Split = fmt.Sprintf("%s split of MNIST's 60,000 training images, fraction %g held out for validation, seed %d; tested on MNIST's 10,000 test images", r.Split, r.ValFrac, r.Seed)
	return d
}

// compactJSON returns v as JSON on one line (or its error).
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
