package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gozoo/zoo/training"
)

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgressBar(&b)
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.update(training.Progress{Epoch: 1, Epochs: 2, Batch: 1, Batches: 4, Loss: 2.5})
	now = now.Add(10 * time.Millisecond)
	p.update(training.Progress{Epoch: 1, Epochs: 2, Batch: 2, Batches: 4, Loss: 2.0}) // throttled
	now = now.Add(time.Second)
	p.update(training.Progress{Epoch: 1, Epochs: 2, Batch: 3, Batches: 4, Loss: 1.5})
	now = now.Add(time.Millisecond)
	p.update(training.Progress{Epoch: 1, Epochs: 2, Batch: 4, Batches: 4, Loss: 1.0}) // last batch: always drawn
	fmt.Fprintf(p, "epoch 1/2 done\n")
	got := b.String()
	// Batches 2 and 3 took 1.01 s: one more batch takes 505 ms.
	want := "\r\033[Kepoch 1/2 [=======                       ] 1/4  loss 2.5000  eta ?" +
		"\r\033[Kepoch 1/2 [======================        ] 3/4  loss 1.5000  eta 1s" +
		"\r\033[Kepoch 1/2 [==============================] 4/4  loss 1.0000  eta 0s" +
		"\r\033[Kepoch 1/2 done\n"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// A log line without a bar on screen is written as it is.
	b.Reset()
	fmt.Fprintf(p, "plain\n")
	if b.String() != "plain\n" {
		t.Fatalf("%q", b.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	must(t, err)
	defer f.Close()
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	defer w.Close()
	for name, wr := range map[string]io.Writer{"file": f, "pipe": w, "buffer": &bytes.Buffer{}, "builder": &strings.Builder{}} {
		if isTerminal(wr) {
			t.Errorf("%s counted as a terminal", name)
		}
	}
}
