package pretrained

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

//go:embed weights
var weights embed.FS

// dir is the directory of the embedded files.
const dir = "weights"

// ErrNotShipped is returned for a model without shipped weights.
var ErrNotShipped = errors.New("pretrained: no shipped weights")

// ErrIntegrity is returned when a shipped file does not match its manifest.
var ErrIntegrity = errors.New("pretrained: shipped file does not match its manifest")

// Manifest describes one shipped file: what it is, how it was made and
// what it scores. It is stored as weights/MODEL.json beside
// weights/MODEL.safetensors.
type Manifest struct {
	// Model is the registry name.
	Model string `json:"model"`
	// File is the shipped file's name, MODEL.safetensors.
	File string `json:"file"`
	// SHA256 is the file's SHA-256, hex.
	SHA256 string `json:"sha256"`
	// Bytes is the file's size.
	Bytes int64 `json:"bytes"`
	// Parameters is the number of trainable scalars; Buffers the number
	// of other stored scalars (BatchNorm's running statistics).
	Parameters int `json:"parameters"`
	Buffers    int `json:"buffers"`
	// Dtype is the element type of the stored tensors, "float32".
	Dtype string `json:"dtype"`
	// Recipe is the whole registry recipe the model was trained with
	// (normalized, seed included) and Command the command that trained it.
	Recipe  models.Recipe `json:"recipe"`
	Command string        `json:"command"`
	// Epochs is the number of epochs trained; with early stopping the
	// weights may be an earlier epoch's.
	Epochs int `json:"epochs"`
	// TestImages, TestCorrect, TestError (percent) and TestLoss are the
	// evaluation on MNIST's 10,000 test images; PerClassAccuracy is the
	// accuracy on the test images of each digit 0..9.
	TestImages       int       `json:"test_images"`
	TestCorrect      int       `json:"test_correct"`
	TestError        float64   `json:"test_error"`
	TestLoss         float64   `json:"test_loss"`
	PerClassAccuracy []float64 `json:"per_class_accuracy"`
	// ZooCommit is the commit of the zoo build that trained the model.
	ZooCommit string `json:"zoo_commit"`
}

// Names returns the models with shipped weights, sorted.
func Names() []string {
	entries, err := fs.ReadDir(weights, dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Has reports whether name has shipped weights.
func Has(name string) bool {
	_, err := fs.Stat(weights, path.Join(dir, name+".json"))
	return err == nil
}

// ManifestOf returns the manifest of name's shipped weights.
func ManifestOf(name string) (Manifest, error) {
	var m Manifest
	b, err := weights.ReadFile(path.Join(dir, name+".json"))
	if err != nil {
		return m, errors.Wrapf(ErrNotShipped, "%q (shipped: %s)", name, strings.Join(Names(), ", "))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, errors.Wrapf(err, "pretrained: manifest of %s", name)
	}
	return m, nil
}

// File returns the bytes of name's shipped file, checked against the
// SHA-256 and size of its manifest.
func File(name string) ([]byte, Manifest, error) {
	m, err := ManifestOf(name)
	if err != nil {
		return nil, m, err
	}
	b, err := weights.ReadFile(path.Join(dir, m.File))
	if err != nil {
		return nil, m, errors.Wrapf(ErrIntegrity, "%s: %v", m.File, err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != m.SHA256 || int64(len(b)) != m.Bytes {
		return nil, m, errors.Wrapf(ErrIntegrity, "%s: sha256 %x, %d bytes; manifest %s, %d bytes", m.File, sum, len(b), m.SHA256, m.Bytes)
	}
	return b, m, nil
}

// Checkpoint returns name's shipped file as a checkpoint (its Path is
// "pretrained:NAME").
func Checkpoint(name string) (*training.Checkpoint, Manifest, error) {
	b, m, err := File(name)
	if err != nil {
		return nil, m, err
	}
	c, err := training.ReadCheckpoint(bytes.NewReader(b), "pretrained:"+name)
	return c, m, err
}

// Load returns name's trained model, ready for evaluation (for instance
// with training.NewEvaluator), and its manifest.
func Load(name string) (*models.Model, Manifest, error) {
	c, m, err := Checkpoint(name)
	if err != nil {
		return nil, m, err
	}
	model, _, err := models.FromCheckpoint(c)
	return model, m, err
}
