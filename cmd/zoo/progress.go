package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gozoo/zoo/training"
)

// isTerminal reports whether w is a character device (a terminal), without
// a dependency on golang.org/x/term: only *os.File can be one.
func isTerminal(w io.Writer) bool {
	if s, ok := w.(*streams); ok {
		w = s.Writer
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws a one-line training progress bar, redrawn in place with
// a carriage return, at most ten times a second. It is only used when
// stderr is a terminal.
type progressBar struct {
	w          io.Writer
	now        func() time.Time
	last       time.Time
	epochStart time.Time
	epoch      int
	firstBatch int
	active     bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, now: time.Now, epoch: -1}
}

// update is a training.Config.OnBatch callback.
func (p *progressBar) update(pr training.Progress) {
	t := p.now()
	if pr.Epoch != p.epoch {
		p.epoch, p.epochStart, p.firstBatch = pr.Epoch, t, pr.Batch
	}
	if t.Sub(p.last) < 100*time.Millisecond && pr.Batch != pr.Batches {
		return
	}
	p.last = t
	const width = 30
	done := 0
	if pr.Batches > 0 {
		done = width * pr.Batch / pr.Batches
	}
	// The clock starts at the epoch's first callback, after its first
	// batch: the rate comes from the batches since.
	eta := "?"
	if pr.Batch > p.firstBatch {
		perBatch := float64(t.Sub(p.epochStart)) / float64(pr.Batch-p.firstBatch)
		eta = time.Duration(perBatch * float64(pr.Batches-pr.Batch)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[Kepoch %d/%d [%s%s] %d/%d  loss %.4f  eta %s",
		pr.Epoch, pr.Epochs, strings.Repeat("=", done), strings.Repeat(" ", width-done), pr.Batch, pr.Batches, pr.Loss, eta)
	p.active = true
}

// clear erases the bar so that a log line can take its place.
func (p *progressBar) clear() {
	if p.active {
		fmt.Fprint(p.w, "\r\033[K")
		p.active = false
	}
}

// Write implements io.Writer for log lines: it clears the bar first.
func (p *progressBar) Write(b []byte) (int, error) {
	p.clear()
	return p.w.Write(b)
}
