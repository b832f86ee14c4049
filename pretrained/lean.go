package pretrained

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/training"
)

// Lean returns the part of a trained checkpoint that evaluation needs and
// nothing else: the model's parameters and buffers as stored (no "best/"
// copies; a checkpoint read by training.LoadCheckpoint keeps optimizer
// state apart, and Lean drops it), the model's registry name and
// configuration, the seed and the library version. The recipe, the
// epochs, the metrics and the stop reason are left to the manifest, and
// random generator, early-stopping and plateau states are dropped, so the
// lean file depends only on the trained bits and the model, not on how a
// build lays out its training metadata: a deterministic run gives a
// byte-identical lean file.
func Lean(c *training.Checkpoint) *training.Checkpoint {
	out := &training.Checkpoint{ModelName: c.ModelName, ModelConfig: c.ModelConfig, Seed: c.Seed, Version: c.Version}
	for _, t := range c.Tensors {
		if !strings.HasPrefix(t.Name, training.BestTensorPrefix) {
			out.Tensors = append(out.Tensors, t)
		}
	}
	return out
}

// WriteLean reads the checkpoint src (a training run's model.safetensors),
// writes its Lean form to dst and returns dst's SHA-256 (hex) and size.
func WriteLean(src, dst string) (sum string, size int64, err error) {
	c, err := training.LoadCheckpoint(src)
	if err != nil {
		return "", 0, err
	}
	if err := training.SaveCheckpoint(dst, Lean(c)); err != nil {
		return "", 0, err
	}
	return FileSHA256(dst)
}

// FileSHA256 returns the SHA-256 (hex) and size of the file at path.
func FileSHA256(path string) (string, int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, errors.Wrap(err, "pretrained")
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), int64(len(b)), nil
}
