package experiments

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Summary is the content of an experiment's summary.md.
type Summary struct {
	// Title heads the file. Default: the experiment's title.
	Title string
	// Claim is the paper's qualitative claim. Default: the experiment's.
	Claim string
	// Paper cites the paper and figure. Default: the experiment's.
	Paper string
	// PaperFigure describes what the paper's figure shows, so that it can
	// be read next to this run's figure.
	PaperFigure string
	// Held and Verdict are the outcome computed from the data.
	Held    bool
	Verdict string
	// Setup lists what was measured and how, one bullet each.
	Setup []string
	// Tables are result tables in Markdown.
	Tables []MarkdownTable
	// Figures are the PNG files written, with captions.
	Figures []Figure
	// Comparison sets the paper's figure and this run side by side.
	Comparison []Comparison
	// Notes are caveats and observations, one bullet each.
	Notes []string
}

// MarkdownTable is a table in a summary.
type MarkdownTable struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Figure is a figure file in a summary.
type Figure struct {
	File, Caption string
}

// Comparison is one row of the paper-versus-run table.
type Comparison struct {
	Aspect, Paper, Run string
}

// Markdown renders the summary. elapsed is the run's wall time, the only
// timing in the experiment's files; cmd is the command that reproduces it.
func (s *Summary) Markdown(elapsed time.Duration, cmd string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", s.Title)
	fmt.Fprintf(&b, "**Claim** — %s\n\n", s.Claim)
	fmt.Fprintf(&b, "**Paper** — %s\n\n", s.Paper)
	verdict := "HELD"
	if !s.Held {
		verdict = "DID NOT HOLD"
	}
	fmt.Fprintf(&b, "**Verdict in this run: the claim %s.** %s\n\n", verdict, s.Verdict)
	if len(s.Setup) > 0 {
		b.WriteString("## What was measured\n\n")
		for _, l := range s.Setup {
			fmt.Fprintf(&b, "- %s\n", l)
		}
		b.WriteString("\n")
	}
	if len(s.Tables) > 0 {
		b.WriteString("## Results\n\n")
		for _, t := range s.Tables {
			writeTable(&b, t.Caption, t.Header, t.Rows)
		}
	}
	if len(s.Comparison) > 0 || s.PaperFigure != "" {
		b.WriteString("## The paper's figure and this run\n\n")
		if s.PaperFigure != "" {
			fmt.Fprintf(&b, "%s\n\n", s.PaperFigure)
		}
		if len(s.Comparison) > 0 {
			rows := make([][]string, len(s.Comparison))
			for i, c := range s.Comparison {
				rows[i] = []string{c.Aspect, c.Paper, c.Run}
			}
			writeTable(&b, "", []string{"", "Paper", "This run"}, rows)
		}
	}
	if len(s.Figures) > 0 {
		b.WriteString("## Figures\n\n")
		for _, f := range s.Figures {
			fmt.Fprintf(&b, "![%s](%s)\n\n%s\n\n", f.File, f.File, f.Caption)
		}
	}
	if len(s.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, l := range s.Notes {
			fmt.Fprintf(&b, "- %s\n", l)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Reproduce\n\n")
	fmt.Fprintf(&b, "    %s\n\n", cmd)
	fmt.Fprintf(&b, "Wall time of this run: %.1f s (timings appear only here; the CSV files are a function of the seed and mode alone).\n", elapsed.Seconds())
	return b.Bytes()
}

func writeTable(b *bytes.Buffer, caption string, header []string, rows [][]string) {
	if caption != "" {
		fmt.Fprintf(b, "%s\n\n", caption)
	}
	esc := func(cells []string) string {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		return "| " + strings.Join(out, " | ") + " |\n"
	}
	b.WriteString(esc(header))
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	b.WriteString("|" + strings.Join(sep, "|") + "|\n")
	for _, r := range rows {
		b.WriteString(esc(r))
	}
	b.WriteString("\n")
}

// Command returns the command line that reproduces the run.
func (e *Env) Command() string {
	cmd := "go run ./cmd/zoo experiment " + e.exp.Name
	if e.opts.Quick {
		cmd += " --quick"
	}
	cmd += fmt.Sprintf(" --seed %d", e.opts.Seed)
	if e.opts.DataDir != "" {
		cmd += " --data " + e.opts.DataDir
	}
	return cmd + " --out " + e.opts.Out
}

// WriteSummary writes s as summary.md in the output directory, filling in
// the experiment's title, claim and paper where s leaves them empty.
func (e *Env) WriteSummary(s *Summary) error {
	if s.Title == "" {
		s.Title = e.exp.Title
	}
	if s.Claim == "" {
		s.Claim = e.exp.Claim
	}
	if s.Paper == "" {
		s.Paper = e.exp.Paper
	}
	const name = "summary.md"
	if err := os.WriteFile(e.Path(name), s.Markdown(e.Elapsed(), e.Command()), 0o644); err != nil {
		return errors.Wrap(err, "experiments: writing "+name)
	}
	e.wrote(name)
	return nil
}
