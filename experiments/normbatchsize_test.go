package experiments

import (
	"context"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/training"
)

// TestNBSNet builds every variant of the convnet and trains it for a few
// steps at batch 2 on synthetic images: the smallest batch of the
// experiment must work for BatchNorm in the conv and the Linear layers.
func TestNBSNet(t *testing.T) {
	x := make([]float32, 8*28*28)
	y := make([]int, 8)
	for i := range x {
		x[i] = float32(i%29) / 29
	}
	for i := range y {
		y[i] = i % 10
	}
	ds, err := datasets.New(x, y, datasets.Shape{C: 1, H: 28, W: 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Parameters: conv1 1·8·9, conv2 8·16·9, fc1 784·64 (+64 bias without
	// a norm), fc2 64·10+10, and γ, β per normalised channel.
	const weights = 8*9 + 16*8*9 + 784*64 + 64*10 + 10
	for _, v := range nbsVariants {
		t.Run(v.key, func(t *testing.T) {
			m, err := newNBSNet(v, 4, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := weights + 2*(8+16)
			if v.fc {
				want += 2 * nbsHidden
			} else {
				want += nbsHidden
			}
			if got := m.Store().NumParams(); got != want {
				t.Errorf("%d parameters, want %d", got, want)
			}
			h, err := training.Fit(context.Background(), m, ds, nil, training.Config{Epochs: 1, BatchSize: 2, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if l := h.Last().TrainLoss; !(l > 0) {
				t.Errorf("training loss %g", l)
			}
		})
	}
	if _, err := newNBSNet(nbsVariant{key: "x", norm: "nope"}, 4, 1); err == nil {
		t.Error("unknown normalisation: no error")
	}
}
