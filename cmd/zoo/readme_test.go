package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the help reference in README.md from the binary's help text")

const readmePath = "README.md"

// helpReferenceHeading starts the section of README.md that holds every
// help text; the section runs to the end of the file.
const helpReferenceHeading = "## Reference: the help text\n"

// helpReference renders the help of zoo and of every subcommand as README
// sections, in the order of zoo help.
func helpReference(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	section := func(title string, args ...string) {
		code, stdout, stderr := runZoo(t, args...)
		if code != exitOK || stderr != "" {
			t.Fatalf("zoo %v: exit %d, stderr %q", args, code, stderr)
		}
		b.WriteString("### " + title + "\n\n```\n" + stdout + "```\n\n")
	}
	section("`zoo help`", "help")
	for _, name := range commandNames() {
		section("`zoo help "+name+"`", "help", name)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// TestREADMEHelp keeps README.md's reference section identical to the
// help the binary prints; run with -update to regenerate it.
func TestREADMEHelp(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	must(t, err)
	readme := string(raw)
	i := strings.Index(readme, helpReferenceHeading)
	if i < 0 {
		t.Fatalf("%s has no %q section", readmePath, strings.TrimSpace(helpReferenceHeading))
	}
	head := readme[:i+len(helpReferenceHeading)]
	intro, _, _ := strings.Cut(readme[i+len(helpReferenceHeading):], "### ")
	want := head + intro + helpReference(t)
	if *update {
		must(t, os.WriteFile(readmePath, []byte(want), 0o644))
		return
	}
	if readme != want {
		got, exp := strings.Split(readme, "\n"), strings.Split(want, "\n")
		for k := 0; k < len(got) || k < len(exp); k++ {
			var g, e string
			if k < len(got) {
				g = got[k]
			}
			if k < len(exp) {
				e = exp[k]
			}
			if g != e {
				t.Fatalf("%s line %d differs from the binary's help:\n  README: %q\n  binary: %q\nrun: go test ./cmd/zoo -run TestREADMEHelp -update", readmePath, k+1, g, e)
			}
		}
	}
}
