#!/usr/bin/env python3
"""Recompute the exact dropout ensembles of `zoo experiment dropout-ensemble` with NumPy.

    /usr/bin/python3 tools/dropout_ensemble_check.py RUN_DIR [--mnist DIR]

RUN_DIR is the output directory of a full run (`zoo experiment
dropout-ensemble --seed 1 --out RUN_DIR`): its tiny_softmax.safetensors and
tiny_deep.safetensors hold the trained weights of the two tiny networks
(784-n-10 and 784-n-n-10, inverted dropout with retain probability p after
the first hidden layer only), and exact_ensemble_images.csv holds the
experiment's prediction for every test image. The full run scores the
tiny networks on all 10,000 MNIST test images in file order, which is what
this script reads from t10k-images-idx3-ubyte.gz (DIR, else $ZOO_MNIST_DIR,
else the GoMNIST module in the Go module cache). A quick run uses a subset
of the test set and cannot be checked here.

For every test image the script enumerates all 2^n masks of the dropped
layer as a 0/1 matrix (no incremental sums, no Gray code: each mask's
network is evaluated from scratch, batched with NumPy), in float64 from
the stored float32 weights and the pixels scaled as float32(p)/255:

  mask m keeps unit j with probability p (scaled by 1/p, as in training)
  P(m) = p^kept (1-p)^dropped
  geometric mean  = softmax( sum_m P(m) log softmax(z_m) )   (renormalised)
  arithmetic mean = sum_m P(m) softmax(z_m)
  weight scaling  = softmax(z) with every unit kept, unscaled

and prints the test errors, the argmax agreement of the geometric mean with
weight scaling, the mean and max KL(geometric || weight scaling), and how
many images' argmaxes differ from the experiment's own (Go) enumeration.
The exit status is 1 if any count differs from the experiment's.
"""
import argparse, csv, glob, gzip, json, os, struct, sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_read import read  # noqa: E402

NETS = [("tiny_softmax.safetensors", False), ("tiny_deep.safetensors", True)]


def mnist_dir(arg):
    if arg:
        return arg
    if os.environ.get("ZOO_MNIST_DIR"):
        return os.environ["ZOO_MNIST_DIR"]
    roots = [os.environ.get("GOMODCACHE", ""), os.path.join(os.environ.get("GOPATH", os.path.expanduser("~/go")), "pkg", "mod")]
    for root in roots:
        hits = sorted(glob.glob(os.path.join(root, "github.com", "petar", "!go!m!n!i!s!t@*", "data")))
        if hits:
            return hits[-1]
    sys.exit("no MNIST directory: pass --mnist DIR or set ZOO_MNIST_DIR")


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2049:
        return np.frombuffer(data, np.uint8, n, 8).astype(np.int64)
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, n * rows * cols, 16).reshape(n, rows * cols)
    sys.exit(f"{path}: unknown IDX magic {magic}")


def log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def ensembles(x, layers, p, deep, chunk=100):
    """Geometric mean, arithmetic mean and weight-scaled class probabilities."""
    (w1, b1), rest = layers[0], layers[1:]
    n = w1.shape[1]
    masks = ((np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)
    kept = masks.sum(axis=1)
    prob = p ** kept * (1 - p) ** (n - kept)
    assert abs(prob.sum() - 1) < 1e-12

    def head(a):  # the layers after the dropped units; a is (..., n)
        if deep:
            (w2, b2), (w3, b3) = rest
            return np.maximum(a @ w2 + b2, 0) @ w3 + b3
        (w2, b2), = rest
        return a @ w2 + b2

    geo, arith, ws = [], [], []
    for s in range(0, len(x), chunk):
        h = np.maximum(x[s:s + chunk] @ w1 + b1, 0)               # (B, n)
        ls = log_softmax(head(h[:, None, :] * masks[None] / p))   # (B, 2^n, 10)
        g = np.einsum("m,bmc->bc", prob, ls)
        geo.append(np.exp(log_softmax(g)))
        arith.append(np.einsum("m,bmc->bc", prob, np.exp(ls)))
        ws.append(np.exp(log_softmax(head(h))))
    return np.concatenate(geo), np.concatenate(arith), np.concatenate(ws)


def kl(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return np.maximum(t.sum(axis=1), 0)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--mnist")
    args = ap.parse_args(argv[1:])

    d = mnist_dir(args.mnist)
    x = idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / np.float32(255)
    x = x.astype(np.float64)
    y = idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))

    rows = {}
    with open(os.path.join(args.run_dir, "exact_ensemble_images.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["network"], []).append(r)

    ok = True
    for fname, deep in NETS:
        tensors, meta = read(os.path.join(args.run_dir, fname))
        ck = json.loads(meta["zoo_checkpoint"])
        cfg = ck["model_config"]
        p = 1 - cfg["dropout_rate"]
        sizes = cfg["sizes"]
        layers = [(tensors[f"fc{i}/W"].astype(np.float64), tensors[f"fc{i}/b"].astype(np.float64)) for i in range(1, len(sizes))]
        for (w, _), (a, b) in zip(layers, zip(sizes, sizes[1:])):
            assert w.shape == (a, b), (w.shape, a, b)
        assert deep == (len(sizes) == 4)
        prefix = "-".join(map(str, sizes)) + ","
        go = [r for name, r in rows.items() if name.startswith(prefix)]
        if len(go) != 1:
            sys.exit(f"{fname}: no single network of sizes {sizes} in exact_ensemble_images.csv")
        go = go[0]
        if len(go) != len(y):
            sys.exit(f"{fname}: the run scored {len(go)} test images, not the {len(y)} of the test set: check a full run")
        go_label = np.array([int(r["label"]) for r in go])
        if not np.array_equal(go_label, y):
            sys.exit(f"{fname}: the run's labels are not the test set's in file order")

        geo, arith, ws = ensembles(x, layers, p, deep)
        pg, pa, pw = geo.argmax(1), arith.argmax(1), ws.argmax(1)
        k = kl(geo, ws)
        m = ck["metrics"]
        print(f"{go[0]['network']}: {len(y)} test images, {2 ** sizes[1]} masks, retain p = {p:g}")
        print(f"  numpy: errors geometric {100 * (pg != y).mean():.2f}%, arithmetic {100 * (pa != y).mean():.2f}%, "
              f"weight scaling {100 * (pw != y).mean():.2f}%; argmax agreement geometric/WS {100 * (pg == pw).mean():.2f}%; "
              f"KL(geo||WS) mean {k.mean():.4g}, max {k.max():.3g}")
        print(f"  go:    errors geometric {100 * m['err_geometric_mean']:.2f}%, arithmetic {100 * m['err_arithmetic_mean']:.2f}%, "
              f"weight scaling {100 * m['err_weight_scaling']:.2f}%; argmax agreement geometric/WS {100 * m['agree_geometric_ws']:.2f}%; "
              f"KL(geo||WS) mean {m['mean_kl_geometric_ws']:.4g}, max {m['max_kl_geometric_ws']:.3g}")
        for name, mine, col in [("geometric", pg, "pred_geometric_mean"), ("arithmetic", pa, "pred_arithmetic_mean"), ("weight scaling", pw, "pred_weight_scaling")]:
            theirs = np.array([int(r[col]) for r in go])
            diff = int((mine != theirs).sum())
            print(f"  {name}: argmax differs from the experiment's on {diff} images")
            ok = ok and diff == 0
        gk = np.array([float(r["kl_geometric_ws"]) for r in go])
        print(f"  per-image KL(geo||WS): max |numpy - go| = {np.abs(k - gk).max():.3g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
