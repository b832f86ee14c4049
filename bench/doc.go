// Command bench compares zoo's training and evaluation speed and memory with
// the identical PyTorch model on the same machine.
//
// One run measures, for each model (default mlp, mlp+dropout, lenet5 and
// mlp-bn) and each thread count (default 1 and 2), repeated (default 3
// times) with zoo and PyTorch runs interleaved so that machine noise hits
// both:
//
//   - training samples/s: SGD with momentum 0.9 at batch 128 in float32 on
//     real MNIST batches, timed in the steady state after a few warm-up steps;
//   - evaluation samples/s: the forward pass in evaluation mode at batch 1000;
//   - peak resident memory of the process (VmHWM), each configuration in its
//     own process.
//
// zoo runs as a child process of this command (GOMAXPROCS set in its
// environment) through training.Fit and training.Evaluator, the code path a
// user of the library gets. PyTorch runs bench/torch_ref.py under Debian's
// python3-torch, with torch.set_num_threads and the OpenMP/MKL/OpenBLAS
// thread variables set; with OpenBLAS available (bash bench/openblas.sh), as
// torch+openblas (OpenBLAS's own kernels for the CPU: that child runs
// without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE) and, if the environment
// sets OPENBLAS_CORETYPE, torch+openblas-pinned. The ratios are against the
// fastest variant first. Without PyTorch the command says how to install
// it and measures zoo alone.
//
// It prints markdown tables of the medians with the zoo/PyTorch ratios and
// the machine (CPU, cores, load, Go, PyTorch and BLAS versions, relevant
// environment), and writes results.json, results.csv and results.md (every
// repetition, not only the medians) to the -out directory.
//
// Usage:
//
//	go run ./bench                 # full run, a few minutes on 2 cores
//	go run ./bench -quick          # a few steps, for CI; never fails for lack of torch
//	go run ./bench -models lenet5 -threads 1 -reps 5
//
// See bench/README.md for what is measured and how to read the numbers.
package main
