#!/usr/bin/python3
"""Check a zoo checkpoint against PyTorch: same weights, same predictions?

    python3 tools/torch_check.py CHECKPOINT [--data DIR] [--predictions FILE] [--json]

Loads CHECKPOINT (a safetensors file written by `zoo train`) with the
pure-NumPy reader in tools/safetensors_read.py, builds the equivalent PyTorch
model from the model name and configuration stored in the checkpoint's
metadata, copies the weights in, runs the 10,000 MNIST test images through it
in eval mode and compares its predictions with zoo's own:

  * zoo's predictions come from FILE, written by
    `zoo eval CHECKPOINT --predictions FILE`; without --predictions the
    script runs `go run ./cmd/zoo eval` itself (from the repository root).
  * It prints how many of the 10,000 predicted classes agree, the largest
    |Δ probability| over all 100,000 class probabilities, and both test
    accuracies; --json prints the same as one JSON object.

The MNIST IDX files are read from --data, else $ZOO_MNIST_DIR, else the
GoMNIST module in the Go module cache, as zoo does. Pixels are scaled to
[0, 1] as float32(byte)/255.

Layout conventions mirrored from zoo (see graph/ and models/):
  * Linear "fcK/W" is (in, out): torch's weight is its transpose; "fcK/b".
  * Conv2D "convK/W" is (out, in, kh, kw) as in torch; "convK/b".
  * BatchNorm "normK"/"cnormK": gamma, beta, running_mean, running_var,
    eps 1e-5; GroupNorm/LayerNorm/InstanceNorm: torch GroupNorm with G, 1 or C
    groups, eps 1e-5.
  * A linear or conv layer followed by a normalisation has no bias.
  * Dropout is the identity in eval mode (inverted dropout); with
    weight_scaling_dropout the activations are multiplied by 1 - p.

Exit status 0 when every prediction agrees and max |Δp| < --tol (1e-4),
1 otherwise.
"""
import argparse, gzip, json, os, subprocess, sys, tempfile

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_read import read  # noqa: E402

GOMNIST = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Scale(nn.Module):
    """Multiplies by a constant: weight-scaling dropout at evaluation."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.k


def activation(cfg):
    return {"": nn.ReLU, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[cfg.get("activation", "")]()


def norm(cfg, channels, conv):
    kind = cfg.get("norm", "")
    if kind == "batch":
        return (nn.BatchNorm2d if conv else nn.BatchNorm1d)(channels, eps=1e-5)
    groups = {"group": cfg.get("groups") or min(8, channels), "layer": 1, "instance": channels}.get(kind)
    return None if groups is None else nn.GroupNorm(groups, channels, eps=1e-5)


class Builder:
    """Builds a torch nn.Sequential with zoo's layer names."""

    def __init__(self, cfg):
        self.cfg, self.layers = cfg, []

    def add(self, name, module):
        if module is not None:
            self.layers.append((name, module))

    def dropout(self, name, p):
        if p and self.cfg.get("weight_scaling_dropout"):
            self.add(name, Scale(1 - p))
        elif p:
            self.add(name, nn.Dropout(p))

    def hidden(self, i, n_in, n_out):
        has_norm = bool(self.cfg.get("norm"))
        self.add(f"fc{i}", nn.Linear(n_in, n_out, bias=not has_norm))
        self.add(f"norm{i}", norm(self.cfg, n_out, conv=False))
        self.add(f"act{i}", activation(self.cfg))
        self.dropout(f"drop{i}", self.cfg.get("hidden_dropout", 0))

    def conv(self, i, n_in, n_out, k, pad):
        has_norm = bool(self.cfg.get("norm"))
        self.add(f"conv{i}", nn.Conv2d(n_in, n_out, k, padding=pad, bias=not has_norm))
        self.add(f"cnorm{i}", norm(self.cfg, n_out, conv=True))
        self.add(f"cact{i}", activation(self.cfg))

    def pool(self, name):
        self.add(name, nn.MaxPool2d(2, 2))

    def output(self, i, n_in):
        self.add(f"fc{i}", nn.Linear(n_in, 10))

    def build(self):
        return nn.Sequential(*[m for _, m in self.layers]), [n for n, _ in self.layers]


def build(name, cfg):
    """Mirrors models/model.go's mlp, lenet5 and convnet architectures."""
    b = Builder(cfg)
    if name.startswith("mlp"):
        b.dropout("drop0", cfg.get("input_dropout", 0))
        n_in = 784
        for i, h in enumerate(cfg["hidden"], 1):
            b.hidden(i, n_in, h)
            n_in = h
        b.output(len(cfg["hidden"]) + 1, n_in)
        return b.build() + ([784],)
    if name == "lenet5":
        b.conv(1, 1, 6, 5, 2)
        b.pool("pool1")
        b.conv(2, 6, 16, 5, 0)
        b.pool("pool2")
        b.add("flatten", nn.Flatten())
        b.hidden(1, 400, 120)
        b.hidden(2, 120, 84)
        b.output(3, 84)
        return b.build() + ([1, 28, 28],)
    if name.startswith("convnet"):
        b.conv(1, 1, 32, 3, 1)
        b.conv(2, 32, 32, 3, 1)
        b.pool("pool1")
        b.conv(3, 32, 64, 3, 1)
        b.conv(4, 64, 64, 3, 1)
        b.pool("pool2")
        b.add("flatten", nn.Flatten())
        b.hidden(1, 64 * 7 * 7, 128)
        b.output(2, 128)
        return b.build() + ([1, 28, 28],)
    raise SystemExit(f"torch_check: no PyTorch equivalent for model {name!r}")


def load_weights(model, names, tensors):
    """Copies zoo tensors into the torch modules; every tensor must be used."""
    used = set()

    def take(key):
        used.add(key)
        return torch.from_numpy(np.array(tensors[key]))

    with torch.no_grad():
        for name, m in zip(names, model):
            if isinstance(m, nn.Linear):
                m.weight.copy_(take(f"{name}/W").T)
                if m.bias is not None:
                    m.bias.copy_(take(f"{name}/b"))
            elif isinstance(m, nn.Conv2d):
                m.weight.copy_(take(f"{name}/W"))
                if m.bias is not None:
                    m.bias.copy_(take(f"{name}/b"))
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.copy_(take(f"{name}/gamma"))
                m.bias.copy_(take(f"{name}/beta"))
                m.running_mean.copy_(take(f"{name}/running_mean"))
                m.running_var.copy_(take(f"{name}/running_var"))
            elif isinstance(m, nn.GroupNorm):
                m.weight.copy_(take(f"{name}/gamma"))
                m.bias.copy_(take(f"{name}/beta"))
    unused = sorted(k for k in tensors if k not in used and not k.startswith(("optimizer/", "best/")))
    if unused:
        raise SystemExit(f"torch_check: checkpoint tensors not mapped to the torch model: {unused}")


def mnist_dir(arg):
    if arg:
        return arg
    if os.environ.get("ZOO_MNIST_DIR"):
        return os.environ["ZOO_MNIST_DIR"]
    cache = os.environ.get("GOMODCACHE")
    if not cache:
        try:
            cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            cache = os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")
    return os.path.join(cache, GOMNIST)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory, base):
    for name in (base + ".gz", base):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"torch_check: {base}[.gz] not found in {directory}")


def zoo_predictions(ckpt, data):
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    cmd = ["go", "run", "./cmd/zoo", "eval", os.path.abspath(ckpt), "--predictions", out]
    if data:
        cmd += ["--data", os.path.abspath(data)]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data", help="directory with the MNIST IDX files")
    ap.add_argument("--predictions", help="JSON written by `zoo eval CHECKPOINT --predictions FILE`")
    ap.add_argument("--tol", type=float, default=1e-4, help="largest acceptable |Δ probability|")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)

    tensors, meta = read(args.checkpoint)
    info = json.loads(meta["zoo_checkpoint"])
    name, cfg = info["model_name"], info.get("model_config") or {}
    model, names, in_shape = build(name, cfg)
    dtype = torch.float64 if cfg.get("dtype") == "float64" else torch.float32
    model = model.to(dtype)
    load_weights(model, names, tensors)
    model.eval()

    d = mnist_dir(args.data)
    images = read_idx(find(d, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(d, "t10k-labels-idx1-ubyte")).astype(np.int64)
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255)).reshape([len(labels)] + in_shape).to(dtype)
    torch.set_num_threads(1)
    with torch.no_grad():
        probs = torch.cat([torch.softmax(model(x[i:i + 1000]), dim=1) for i in range(0, len(x), 1000)]).double().numpy()
    torch_pred = probs.argmax(axis=1)

    pred_file = args.predictions or zoo_predictions(args.checkpoint, args.data)
    with open(pred_file) as f:
        zoo = json.load(f)
    zoo_pred = np.array(zoo["predictions"])
    zoo_probs = np.array(zoo["probabilities"], dtype=np.float64)
    if not np.array_equal(np.array(zoo["labels"]), labels):
        raise SystemExit("torch_check: zoo's predictions file is for other test labels")

    agree = int((zoo_pred == torch_pred).sum())
    result = {
        "checkpoint": args.checkpoint, "model": name, "config": cfg, "n": int(len(labels)),
        "agree": agree, "disagree_indices": np.flatnonzero(zoo_pred != torch_pred).tolist()[:20],
        "max_abs_prob_diff": float(np.abs(zoo_probs - probs).max()),
        "zoo_test_acc": float((zoo_pred == labels).mean()), "torch_test_acc": float((torch_pred == labels).mean()),
        "torch": torch.__version__,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{name}: {agree}/{len(labels)} predictions agree, max |Δp| = {result['max_abs_prob_diff']:.3g}, "
              f"test accuracy zoo {result['zoo_test_acc']:.4f} torch {result['torch_test_acc']:.4f}")
    return 0 if agree == len(labels) and result["max_abs_prob_diff"] < args.tol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
