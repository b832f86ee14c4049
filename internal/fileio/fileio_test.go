package fileio

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

func TestWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.txt")
	if err := Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "hello" {
		t.Fatalf("read back %q, %v", b, err)
	}

	boom := errors.New("boom")
	err := Write(path, func(io.Writer) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("write error: got %v, want boom naming %s", err, path)
	}

	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := Write(missing, func(io.Writer) error { return nil }); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("create in a missing directory: got %v, want ErrNotExist", err)
	}
}
