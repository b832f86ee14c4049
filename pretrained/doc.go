// Package pretrained provides the zoo's trained models by name, offline:
// Load("lenet5") returns a ready evaluation model whose weights are
// embedded in this package, with no file on disk and no network. Programs
// that do not import the package do not carry the weights.
//
// Every shipped file was produced by its model's registry recipe at seed 1
// with the documented command (zoo train MODEL --seed 1) and reduced by
// Lean to what evaluation needs: the parameters and buffers, float32 as
// trained, and the model's name, configuration and seed, with no optimizer
// state, no copy of the best epoch and no training metadata. Training is
// deterministic bit for bit, so the same command gives a file with the
// same SHA-256, which each Manifest records beside the recipe, the command,
// the test error and per-class accuracy on the 10,000 MNIST test images,
// the parameter count, the size and the zoo commit that trained it.
//
// The files are made by tools/mkpretrained from a training run's
// model.safetensors:
//
//	zoo train lenet5 --seed 1 --out runs/lenet5
//	go run ./tools/mkpretrained -commit $(git rev-parse HEAD) runs/lenet5
//
// The tests check each file against its manifest (SHA-256, size,
// parameter count, and the exact test accuracy when MNIST is in the module
// cache); ZOO_RETRAIN=mlp go test -run TestRetrain ./pretrained retrains a
// model from its recipe and checks that its lean file has the shipped
// SHA-256 (ZOO_RETRAIN=all: every model, hours on 2 cores).
package pretrained
