package models_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

func subset(t *testing.T) *datasets.MNIST {
	t.Helper()
	mn, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: filepath.Join("..", "testdata", "mnist")})
	if err != nil {
		t.Fatal(err)
	}
	return mn
}

// TestFitAppliesTheModelsRegularizers trains the registry mlp with L2 and
// max-norm through the library alone (models.Lookup, Build, training.Fit
// with no penalties or post-steps in its Config): the L2 term must reach
// the loss (a positive penalty in the history) and no unit's incoming
// weight norm may exceed C after any step.
func TestFitAppliesTheModelsRegularizers(t *testing.T) {
	const c = 0.5
	e, err := models.Lookup("mlp")
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Build(models.Config{Hidden: []int{32}, L2: 1e-2, MaxNorm: c}, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := m.Store().Lookup("fc1/W")
	if !ok {
		t.Fatal("no fc1/W")
	}
	var steps, over int
	worst := 0.0
	hist, err := training.Fit(context.Background(), m, subset(t).Train, nil, training.Config{
		Epochs: 1, BatchSize: 50,
		OnBatch: func(training.Progress) {
			steps++
			norms, err := regularizers.UnitNorms(w)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range norms {
				worst = math.Max(worst, n)
				if n > c*(1+1e-6) {
					over++
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := hist.Last().Penalty; !(p > 0) {
		t.Errorf("penalty %v, want > 0: the model's L2 did not reach the loss", p)
	}
	if steps == 0 || over > 0 {
		t.Errorf("%d unit norms above c = %g in %d steps (largest %g)", over, c, steps, worst)
	}
}

// TestSaveLoad saves a trained model with its recipe and loads it back:
// the same tensors, configuration, recipe and predictions.
func TestSaveLoad(t *testing.T) {
	e, err := models.Lookup("mlp-bn")
	if err != nil {
		t.Fatal(err)
	}
	r := e.Recipe
	r.Config.Hidden = []int{16, 16}
	r.Epochs, r.BatchSize = 1, 50
	mn := subset(t)
	res, m, err := models.Train(context.Background(), r, mn, models.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := models.Save(path, m, &res.Recipe, models.SaveInfo{Epoch: res.EpochsRun}); err != nil {
		t.Fatal(err)
	}
	back, c, rec, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil || rec.Model != "mlp-bn" || !slices.Equal(rec.Config.Hidden, []int{16, 16}) || c.Epoch != 1 {
		t.Fatalf("recipe %+v epoch %d", rec, c.Epoch)
	}
	for i, v := range m.Store().Vars() {
		if !slices.Equal(v.Float64s(), back.Store().Vars()[i].Float64s()) {
			t.Fatalf("%s differs after loading", v.Name())
		}
	}
	x := mn.Test.X[:5*784]
	p1, err := training.Predict(context.Background(), m, x)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := training.Predict(context.Background(), back, x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p1 {
		if p1[i].Class != p2[i].Class || !slices.Equal(p1[i].Probs, p2[i].Probs) {
			t.Fatalf("prediction %d: %+v vs %+v", i, p1[i], p2[i])
		}
	}
}

// TestRegistryRecipesValidate: every entry's default recipe is valid and
// names its own model.
func TestRegistryRecipesValidate(t *testing.T) {
	for _, e := range models.List() {
		if err := e.Recipe.Validate(); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
		if e.Recipe.Model != e.Name {
			t.Errorf("%s: recipe names %q", e.Name, e.Recipe.Model)
		}
	}
	bad := []func(*models.Recipe){
		func(r *models.Recipe) { r.Epochs = 0 },
		func(r *models.Recipe) { r.LR = math.NaN() },
		func(r *models.Recipe) { r.Optimizer = "rmsprop" },
		func(r *models.Recipe) { r.Patience, r.ValFrac = 3, 0 },
		func(r *models.Recipe) { r.Model = "resnet" },
		func(r *models.Recipe) { r.Config.HiddenDropout = 1 },
	}
	for i, f := range bad {
		r, _ := models.Lookup("mlp")
		rec := r.Recipe
		f(&rec)
		if err := rec.Validate(); err == nil {
			t.Errorf("bad recipe %d accepted: %+v", i, rec)
		}
	}
}
