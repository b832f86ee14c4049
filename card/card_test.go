package card

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
)

// TestScore works a 3-class, 4-sample case by hand.
// Rows (probabilities, label): (0.7 0.2 0.1, 0) right, conf 0.7;
// (0.1 0.6 0.3, 2) wrong → predicted 1, conf 0.6; (0.2 0.3 0.5, 2) right,
// conf 0.5; (0.05 0.9 0.05, 1) right, conf 0.9.
// Loss = −(ln 0.7 + ln 0.3 + ln 0.5 + ln 0.9)/4 = 0.594856…
// Per class: 0: 1/1, 1: 1/1, 2: 1/2. Error 25%, mean confidence 0.675.
func TestScore(t *testing.T) {
	probs := []float64{0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.3, 0.5, 0.05, 0.9, 0.05}
	ds := &datasets.Dataset{X: make([]float32, 4), Y: []int{0, 2, 2, 1}, Shape: datasets.Shape{C: 1, H: 1, W: 1}, NumClasses: 3}
	te, c := score(probs, ds, 10)
	wantLoss := -(math.Log(0.7) + math.Log(0.3) + math.Log(0.5) + math.Log(0.9)) / 4
	if te.N != 4 || te.Correct != 3 || te.Errors != 1 || te.Error != 25 || math.Abs(te.Loss-wantLoss) > 1e-15 {
		t.Fatalf("%+v, loss want %v", te, wantLoss)
	}
	if !slices.Equal(te.PerClassAccuracy, []float64{1, 1, 0.5}) || te.PerClassCount[2] != 2 {
		t.Errorf("per class %v %v", te.PerClassAccuracy, te.PerClassCount)
	}
	want := [][]int{{1, 0, 0}, {0, 1, 0}, {0, 1, 1}}
	for i := range want {
		for j := range want[i] {
			if te.Confusion[i][j] != want[i][j] {
				t.Fatalf("confusion %v, want %v", te.Confusion, want)
			}
		}
	}
	lo, hi := Wilson(1, 4, Z95)
	if te.ErrorCI95 != [2]float64{100 * lo, 100 * hi} {
		t.Errorf("interval %v", te.ErrorCI95)
	}
	// ECE over 10 bins: 0.5 in bin 5 (0.4, 0.5] right (gap 0.5), 0.6 in bin
	// 6 wrong (gap 0.6), 0.7 right (gap 0.3), 0.9 right (gap 0.1):
	// (0.5 + 0.6 + 0.3 + 0.1)/4 = 0.375.
	if math.Abs(c.ECE-0.375) > 1e-15 || math.Abs(c.MeanConfidence-0.675) > 1e-15 {
		t.Errorf("ECE %v, mean confidence %v", c.ECE, c.MeanConfidence)
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1276810: "1,276,810", -61706: "-61,706"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q", n, got)
		}
	}
}

// TestMake makes a card for an untrained mlp-sigmoid on the 200 test
// images of testdata/mnist and checks that its parts agree with each other
// and with the registry, and that the Markdown and PNG are written.
func TestMake(t *testing.T) {
	mn, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: filepath.Join("..", "testdata", "mnist")})
	if err != nil {
		t.Fatal(err)
	}
	e, err := models.Lookup("mlp-sigmoid")
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Build(e.Recipe.Config, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Make(context.Background(), m, Source{Weights: Weights{Source: "untrained"}}, mn.Test, Options{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, row := range c.Test.Confusion {
		for _, v := range row {
			sum += v
		}
	}
	n, _ := e.NumParams()
	if c.Test.N != 200 || sum != 200 || c.Test.Correct+c.Test.Errors != 200 || c.Architecture.Parameters != n ||
		c.Architecture.Bytes != 4*n || c.Paper.Error != nil || c.Paper.ZooError != c.Test.Error || c.Speed.SamplesPerSecond <= 0 {
		t.Fatalf("inconsistent card: %+v", c)
	}
	var md bytes.Buffer
	if err := c.WriteMarkdown(&md, "mlp-sigmoid.png"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# Model card: `mlp-sigmoid`", "99,710 trainable", "![reliability diagram](mlp-sigmoid.png)", "| **9** |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
	path := filepath.Join(t.TempDir(), "r.png")
	if err := c.WriteReliabilityPNG(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.DecodeConfig(f); err != nil {
		t.Errorf("diagram: %v", err)
	}
}
