package training

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gozoo/zoo/training/safetensors"
)

// FuzzLoadCheckpoint feeds LoadCheckpoint arbitrary files, and valid
// safetensors files with arbitrary checkpoint metadata (the JSON that names
// the model, its configuration, the epoch, the optimizer's state). It must
// not panic; whatever it accepts must save and load again to the same
// model name, epoch and tensor names.
func FuzzLoadCheckpoint(f *testing.F) {
	c, _ := sampleCheckpoint(f)
	dir := f.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveCheckpoint(good, c); err != nil {
		f.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	tensors, md, err := safetensors.Read(bytes.NewReader(raw))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(md[checkpointMetaKey], raw)
	f.Add(`{"format":1,"model_name":"mlp","model_config":{"hidden":[100000,100000]},"epoch":-1}`, []byte{})
	f.Add(`{"format":1,"model_name":"mlp","epoch":4611686018427387904,"optimizer":{"algorithm":"sgd","lr":0.1}}`, raw[:len(raw)/2])
	f.Add(`{"format":2}`, []byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, meta string, file []byte) {
		dir := t.TempDir()
		for i, in := range [][]byte{file, withMeta(tensors, meta)} {
			if in == nil {
				continue
			}
			p := filepath.Join(dir, "in"+string(rune('0'+i))+".safetensors")
			if err := os.WriteFile(p, in, 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadCheckpoint(p)
			if err != nil {
				continue
			}
			back := filepath.Join(dir, "back.safetensors")
			if err := SaveCheckpoint(back, c); err != nil {
				continue // accepted on reading, refused on writing: allowed (e.g. NaN in RNG state lengths)
			}
			c2, err := LoadCheckpoint(back)
			if err != nil {
				t.Fatalf("reload of a saved checkpoint: %v", err)
			}
			if c2.ModelName != c.ModelName || c2.Epoch != c.Epoch || len(c2.Tensors) != len(c.Tensors) {
				t.Fatalf("round trip changed the checkpoint: %q %d %d, was %q %d %d", c2.ModelName, c2.Epoch, len(c2.Tensors), c.ModelName, c.Epoch, len(c.Tensors))
			}
		}
	})
}

// withMeta writes tensors with meta as the checkpoint metadata.
func withMeta(tensors []safetensors.Tensor, meta string) []byte {
	var b bytes.Buffer
	if err := safetensors.Write(&b, tensors, map[string]string{checkpointMetaKey: meta}); err != nil {
		return nil
	}
	return b.Bytes()
}
