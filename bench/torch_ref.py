#!/usr/bin/python3
"""PyTorch reference for zoo's benchmark (go run ./bench).

Builds the same networks as zoo's registry (same layers, same order, the
same initialisation scheme: PyTorch's default U(+-1/sqrt(fan_in)) is zoo's
TorchDefault), trains them with torch.optim.SGD (momentum) on real MNIST
batches in float32 and times the steady state exactly as bench/zoo.go does:
warm-up steps, then steps until at least min_steps steps and min_seconds
seconds have passed (or max_steps). Then it times evaluation-mode forward
passes at eval_batch, and reports the process's peak resident set.

Usage (the Go command runs it; by hand for debugging):

    /usr/bin/python3 bench/torch_ref.py --probe   # runtime, BLAS kernel, products vs float64
    /usr/bin/python3 bench/torch_ref.py '{"model": "mlp", "threads": 1, ...}'

It prints one JSON object on stdout. It needs python3-torch and
python3-numpy (Debian: apt-get update && apt-get install -y python3-torch
python3-numpy). The thread count is set with torch.set_num_threads; the
parent also sets OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS.
"""

import gzip
import json
import math
import os
import re
import resource
import sys
import time


def proc_status_mib(field):
    """A kB field of /proc/self/status (VmRSS, VmHWM) in MiB, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name == field:
                    return float(rest.strip().split()[0]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib():
    v = proc_status_mib("VmHWM")
    if v is not None:
        return v
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def blas_libraries():
    """Real paths of the BLAS libraries mapped into this process."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                base = os.path.basename(parts[5]).lower()
                if "blas" in base or "mkl" in base:
                    libs.add(os.path.realpath(parts[5]))
    except OSError:
        pass
    return sorted(libs)


def classify_blas(libs):
    names = " ".join(libs).lower()
    if "openblas" in names:
        return "OpenBLAS"
    if "mkl" in names:
        return "MKL"
    if "blis" in names:
        return "BLIS"
    if "atlas" in names:
        return "ATLAS"
    if any(l.endswith(".so.3") or "/blas/" in l or "libblas.so" in l for l in libs):
        return "reference BLAS (netlib)"
    return "unknown"


def openblas_corename(libs):
    """The kernel family OpenBLAS chose (openblas_get_corename), or ""."""
    import ctypes
    for lib in libs:
        if "openblas" not in os.path.basename(lib).lower():
            continue
        try:
            f = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return ""


# Products checked against float64 (m, n, k, transposes): zoo's MLP
# (784-800-800-10 at batch 128 and 1000), a convolution's and odd sizes.
CHECK_SHAPES = ((128, 800, 784, "NN"), (128, 800, 800, "NN"), (128, 784, 800, "NT"),
                (800, 800, 128, "TN"), (1000, 800, 784, "NN"), (37, 53, 61, "NN"), (6, 576, 25, "NN"))


def check_products(torch):
    """torch.mm in float32 against float64 on CHECK_SHAPES: the largest
    |C32 - C64| / (|A||B|) over all elements, and whether every shape is
    within the dot-product error bound k*2^-24 (Higham, section 3.1)."""
    g = torch.Generator().manual_seed(1)
    worst, ok = 0.0, True
    for m, n, k, t in CHECK_SHAPES:
        a = torch.rand(k, m, generator=g) * 2 - 1 if t[0] == "T" else torch.rand(m, k, generator=g) * 2 - 1
        b = torch.rand(n, k, generator=g) * 2 - 1 if t[1] == "T" else torch.rand(k, n, generator=g) * 2 - 1
        A = a.t() if t[0] == "T" else a
        B = b.t() if t[1] == "T" else b
        c32 = torch.mm(A, B).double()
        c64 = torch.mm(A.double(), B.double())
        scale = torch.mm(A.double().abs(), B.double().abs())
        r = ((c32 - c64).abs() / scale).max().item()
        worst = max(worst, r)
        ok = ok and r <= k * 2.0 ** -24
    return worst, ok


def runtime_info(torch, np):
    cfg = torch.__config__.show()
    blas_info = re.search(r"BLAS_INFO=([^,\s]*)", cfg)
    capability = re.search(r"CPU capability usage: (\S+)", cfg)
    libs = blas_libraries()
    return {
        "openblas_core": openblas_corename(libs),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "torch_threads": str(torch.get_num_threads()),
        "torch_interop_threads": str(torch.get_num_interop_threads()),
        "blas_info": blas_info.group(1) if blas_info else "",
        "blas": classify_blas(libs),
        "blas_libs": ";".join(libs),
        "mkldnn": str(torch.backends.mkldnn.is_available()),
        "cpu_capability": capability.group(1) if capability else "",
        "parallel": torch.__config__.parallel_info().splitlines()[-1].strip(),
    }


def read_idx(dirname, name, np):
    for fn, opener in ((name + ".gz", gzip.open), (name, open)):
        path = os.path.join(dirname, fn)
        if os.path.isfile(path):
            with opener(path, "rb") as f:
                data = f.read()
            break
    else:
        raise FileNotFoundError(os.path.join(dirname, name) + "[.gz]")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_mnist(dirname, np):
    """MNIST as zoo loads it: float32 pixels p/255, int64 labels."""
    out = []
    for img, lab in (("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                     ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")):
        x = read_idx(dirname, img, np)
        x = x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255)
        y = read_idx(dirname, lab, np).astype(np.int64)
        out.append((x, y))
    return out


def build(name, nn):
    """The network zoo's registry builds under the same bench name."""
    def mlp(hidden, act, drop_in=0.0, drop_hidden=0.0, bn=False):
        layers = []
        if drop_in:
            layers.append(nn.Dropout(drop_in))
        prev = 784
        for h in hidden:
            layers.append(nn.Linear(prev, h, bias=not bn))
            if bn:
                layers.append(nn.BatchNorm1d(h))
            layers.append(act())
            if drop_hidden:
                layers.append(nn.Dropout(drop_hidden))
            prev = h
        layers.append(nn.Linear(prev, 10))
        return nn.Sequential(*layers)

    def conv(i, o, k, pad, bn):
        layers = [nn.Conv2d(i, o, k, padding=pad, bias=not bn)]
        if bn:
            layers.append(nn.BatchNorm2d(o))
        layers.append(nn.ReLU())
        return layers

    if name == "mlp":
        return mlp([800, 800], nn.ReLU), False
    if name == "mlp+dropout":
        return mlp([800, 800], nn.ReLU, 0.2, 0.5), False
    if name == "mlp-sigmoid":
        return mlp([100, 100, 100], nn.Sigmoid), False
    if name == "mlp-bn":
        return mlp([100, 100, 100], nn.Sigmoid, bn=True), False
    if name == "lenet5":
        return nn.Sequential(
            *conv(1, 6, 5, 2, False), nn.MaxPool2d(2),
            *conv(6, 16, 5, 0, False), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10)), True
    if name == "convnet-bn":
        return nn.Sequential(
            *conv(1, 32, 3, 1, True), *conv(32, 32, 3, 1, True), nn.MaxPool2d(2),
            *conv(32, 64, 3, 1, True), *conv(64, 64, 3, 1, True), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(128, 10)), True
    raise ValueError("unknown model %r" % name)


def stop(steps, elapsed, sp, lo, hi):
    return steps >= sp[hi] or (steps >= sp[lo] and elapsed >= sp["min_seconds"])


def measure(sp):
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(sp["threads"])
    res = {k: sp[k] for k in ("impl", "variant", "model", "threads", "rep")}
    (train_x, train_y), (test_x, test_y) = load_mnist(sp["mnist_dir"], np)
    res["data_rss_mib"] = proc_status_mib("VmRSS")

    torch.manual_seed(sp["seed"])
    model, images = build(sp["model"], nn)
    res["params"] = sum(p.numel() for p in model.parameters())
    X, Y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    Xt, Yt = torch.from_numpy(test_x), torch.from_numpy(test_y)
    if images:
        X, Xt = X.view(-1, 1, 28, 28), Xt.view(-1, 1, 28, 28)

    # Training: shuffled full batches of one epoch, as zoo's Fit with DropLast.
    B = sp["batch"]
    perm = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(sp["seed"]))
    opt = torch.optim.SGD(model.parameters(), lr=sp["lr"], momentum=sp["momentum"])
    model.train()
    max_steps = min(sp["max_steps"], X.shape[0] // B - sp["warmup"])
    n, t0 = 0, None
    for i in range(X.shape[0] // B):
        idx = perm[i * B:(i + 1) * B]
        xb, yb = X.index_select(0, idx), Y.index_select(0, idx)
        opt.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        res["last_loss"] = loss.item()
        (out.argmax(1) == yb).sum().item()  # zoo's Fit counts correct predictions too
        n += 1
        now = time.perf_counter()
        if n == sp["warmup"]:
            t0, cpu0 = now, time.process_time()
        elif n > sp["warmup"]:
            steps, el = n - sp["warmup"], now - t0
            if steps >= max_steps or (steps >= sp["min_steps"] and el >= sp["min_seconds"]):
                res["train_steps"], res["train_seconds"] = steps, el
                res["train_cpu_seconds"] = time.process_time() - cpu0
                break
    res["train_samples_per_sec"] = res["train_steps"] * B / res["train_seconds"]
    res["train_samples_per_cpu_sec"] = res["train_steps"] * B / max(res["train_cpu_seconds"], 1e-9)

    # Evaluation: forward passes in eval mode on the first eval_batch test images.
    EB = sp["eval_batch"]
    xb, yb = Xt[:EB], Yt[:EB]
    model.eval()

    def evaluate():
        with torch.no_grad():
            logp = F.log_softmax(model(xb), 1)
            (-logp.gather(1, yb[:, None])).sum().item()
            (logp.argmax(1) == yb).sum().item()

    for _ in range(sp["eval_warmup"]):
        evaluate()
    n, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while True:
        evaluate()
        n += 1
        el = time.perf_counter() - t0
        if n >= sp["eval_max_batches"] or (n >= sp["eval_min_batches"] and el >= sp["min_seconds"]):
            break
    res["eval_batches"], res["eval_seconds"] = n, el
    res["eval_cpu_seconds"] = time.process_time() - cpu0
    res["eval_samples_per_sec"] = n * EB / el
    res["eval_samples_per_cpu_sec"] = n * EB / max(res["eval_cpu_seconds"], 1e-9)
    res["peak_rss_mib"] = peak_rss_mib()
    res["runtime"] = runtime_info(torch, np)
    return res


def main(argv):
    if len(argv) == 2 and argv[1] == "--probe":
        import numpy as np
        import torch
        info = runtime_info(torch, np)
        torch.set_num_threads(1)
        worst, ok = check_products(torch)
        info["product_err"] = "%.2g" % worst
        info["product_ok"] = str(ok)
        print(json.dumps(info))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    res = measure(json.loads(argv[1]))
    for k, v in res.items():
        if isinstance(v, float) and not math.isfinite(v):
            res[k] = None  # JSON has no NaN; the Go side reads null as 0
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
