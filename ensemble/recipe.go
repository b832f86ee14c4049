package ensemble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// ManifestFile is the name of the manifest [TrainRecipe] writes into its
// output directory.
const ManifestFile = "ensemble.json"

// ManifestFormat identifies the manifest's layout.
const ManifestFormat = "zoo-ensemble/1"

// Manifest describes a trained ensemble on disk (OUT/ensemble.json).
type Manifest struct {
	Format string `json:"format"`
	// Recipe is the members' recipe; member i ran it with the seed
	// MemberSeed(Recipe.Seed, i).
	Recipe  models.Recipe `json:"recipe"`
	Members int           `json:"members"`
	// Method is "independent" or "bagging".
	Method string `json:"method"`
	// Checkpoints are the members' model.safetensors, relative to the
	// manifest's directory.
	Checkpoints []string `json:"checkpoints"`
}

// RecipeOptions are the parts of [TrainRecipe] that do not change the
// trained numbers.
type RecipeOptions struct {
	// Out is the output directory: OUT/member-i holds member i's
	// checkpoints (last.safetensors, best.safetensors), model.safetensors
	// (its final weights with its recipe and test scores, readable by
	// models.Load) and history.csv; OUT/ensemble.json the manifest.
	// Required.
	Out string
	// Resume continues each member from OUT/member-i/last.safetensors where
	// it exists (a finished member returns at once).
	Resume bool
	// Log receives one line per member and epoch, prefixed "member i: ".
	Log io.Writer
}

// TrainRecipe trains cfg.Members members of recipe r on MNIST: member i runs
// r with seed MemberSeed(r.Seed, i) — its own initial weights, validation
// split, TrainLimit subset, batch order and dropout masks, so that an
// independent member is bit for bit models.Train of that recipe — and with
// Bagging on a bootstrap resample of its training split. cfg.Seed is
// ignored (the recipe's seed is the base). It writes the members and the
// manifest into opts.Out, scores the ensemble on the test set by the
// arithmetic mean and returns the manifest, the members and the report.
// When ctx is cancelled, every member saves its last.safetensors and the
// error is returned; TrainRecipe with opts.Resume continues the run.
func TrainRecipe(ctx context.Context, r models.Recipe, data *datasets.MNIST, cfg Config, opts RecipeOptions) (*Manifest, []*models.Model, *Report, error) {
	if err := r.Validate(); err != nil {
		return nil, nil, nil, err
	}
	if opts.Out == "" {
		return nil, nil, nil, errors.Wrap(ErrConfig, "ensemble: no output directory")
	}
	if data == nil || data.Train == nil || data.Test == nil {
		return nil, nil, nil, errors.Wrap(ErrConfig, "ensemble: no data")
	}
	r = r.Normalized()
	cfg.Seed = r.Seed
	recipes := make([]models.Recipe, max(cfg.Members, 0))
	built := make([]*models.Model, len(recipes))
	var logMu sync.Mutex
	build := func(i int, seed uint64) (training.Model, training.Config, error) {
		ri := r
		ri.Seed = seed
		recipes[i] = ri
		m, err := ri.Build()
		if err != nil {
			return nil, training.Config{}, err
		}
		tc, err := ri.TrainingConfig()
		if err != nil {
			return nil, training.Config{}, err
		}
		if tc.Meta, err = ri.JSON(); err != nil {
			return nil, training.Config{}, err
		}
		dir := memberDir(opts.Out, i)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, training.Config{}, errors.Wrap(err, "ensemble: output directory")
		}
		tc.Checkpoints = &training.CheckpointConfig{Dir: dir}
		if last := filepath.Join(dir, training.LastCheckpoint); opts.Resume {
			if _, err := os.Stat(last); err == nil {
				tc.Resume = last
			}
		}
		if opts.Log != nil {
			prefix := []byte(fmt.Sprintf("member %d: ", i))
			tc.Log = writerFunc(func(p []byte) (int, error) {
				logMu.Lock()
				defer logMu.Unlock()
				if _, err := opts.Log.Write(append(append([]byte(nil), prefix...), p...)); err != nil {
					return 0, err
				}
				return len(p), nil
			})
		}
		built[i] = m
		return m, tc, nil
	}
	split := func(i int, seed uint64) (train, val *datasets.Dataset, err error) {
		ri := r
		ri.Seed = seed
		return ri.Splits(data.Train)
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, nil, err
	}
	// The manifest is written first, so that a cancelled run can be
	// resumed from it.
	man := &Manifest{Format: ManifestFormat, Recipe: r, Members: cfg.Members, Method: cfg.Method.String()}
	for i := range cfg.Members {
		man.Checkpoints = append(man.Checkpoints, filepath.Join(fmt.Sprintf("member-%d", i), training.ModelFile))
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, nil, nil, errors.Wrap(err, "ensemble: output directory")
	}
	if err := writeManifest(filepath.Join(opts.Out, ManifestFile), man); err != nil {
		return nil, nil, nil, err
	}
	members, err := train(ctx, build, split, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	ms := make([]training.Model, len(members))
	for i, mem := range members {
		ms[i] = mem.Model
	}
	rep, err := Evaluate(ctx, ms, data.Test, Arithmetic, training.EvalOptions{BatchSize: min(1000, data.Test.Len())})
	if err != nil {
		return nil, nil, nil, err
	}
	for i, mem := range members {
		test := map[string]float64{"test_loss": rep.MemberLosses[i], "test_acc": rep.MemberAccuracies[i]}
		if err := saveMember(opts.Out, i, built[i], &recipes[i], mem, test); err != nil {
			return nil, nil, nil, err
		}
	}
	return man, built, rep, nil
}

func memberDir(out string, i int) string { return filepath.Join(out, fmt.Sprintf("member-%d", i)) }

// saveMember writes member i's history.csv and model.safetensors (its
// weights, recipe and test scores).
func saveMember(out string, i int, m *models.Model, r *models.Recipe, mem *Member, test map[string]float64) error {
	dir := memberDir(out, i)
	var buf bytes.Buffer
	if err := mem.History.WriteCSV(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "history.csv"), buf.Bytes(), 0o644); err != nil {
		return errors.Wrap(err, "ensemble: history")
	}
	return models.Save(filepath.Join(dir, training.ModelFile), m, r, models.SaveInfo{
		Epoch: len(mem.History.Epochs), Stopped: mem.History.Stopped, Metrics: test,
	})
}

func writeManifest(path string, man *Manifest) error {
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return errors.Wrap(err, "ensemble: manifest")
	}
	return errors.Wrap(os.WriteFile(path, append(b, '\n'), 0o644), "ensemble: manifest")
}

// IsManifest reports whether path is an ensemble: a directory holding
// ManifestFile, or such a file. It returns the manifest's path.
func IsManifest(path string) (string, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	if st.IsDir() {
		path = filepath.Join(path, ManifestFile)
		if _, err := os.Stat(path); err != nil {
			return "", false
		}
		return path, true
	}
	return path, filepath.Base(path) == ManifestFile
}

// ReadManifest reads a manifest written by TrainRecipe (which writes it
// before training the members).
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "ensemble: manifest")
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return nil, errors.Wrapf(err, "ensemble: manifest %s", path)
	}
	if man.Format != ManifestFormat || len(man.Checkpoints) == 0 || len(man.Checkpoints) != man.Members {
		return nil, errors.Errorf("ensemble: manifest %s: format %q with %d of %d checkpoints, want %s", path, man.Format, len(man.Checkpoints), man.Members, ManifestFormat)
	}
	return &man, nil
}

// Load reads a manifest written by TrainRecipe and loads its members with
// models.Load. Every error names the file.
func Load(path string) (*Manifest, []*models.Model, error) {
	man, err := ReadManifest(path)
	if err != nil {
		return nil, nil, err
	}
	var ms []*models.Model
	for _, c := range man.Checkpoints {
		m, _, _, err := models.Load(filepath.Join(filepath.Dir(path), c))
		if err != nil {
			return nil, nil, errors.WithMessagef(err, "ensemble %s", path)
		}
		ms = append(ms, m)
	}
	return man, ms, nil
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
