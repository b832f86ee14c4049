#!/usr/bin/env python3
"""Generate zoo's PyTorch golden fixtures under testdata/golden/.

Usage (from the repository root):

    /usr/bin/python3 tools/golden/make_golden.py            # rewrite testdata/golden/
    /usr/bin/python3 tools/golden/make_golden.py --out DIR  # write somewhere else
    /usr/bin/python3 tools/golden/check_golden.py           # regenerate to a temp dir and diff

Needs PyTorch (1.13 CPU was used) and NumPy; `go test` never runs this script, it only
reads the committed fixtures.

Layout: <out>/<group>/<case>/<array>.npy plus <out>/<group>/<case>/meta.json, groups
`layers`, `optim` and `sched`, and <out>/MANIFEST.json listing every case. Every array is
a NumPy .npy file (format 1.0), dtype '<f8' (little-endian float64), C order, readable
with gorgonia.org/tensor's (*Dense).ReadNpy. Integer data (class labels) is stored as
float64 holding integral values. Scalars (losses, norms) have shape (1,), never ().

Layer gradients are of the scalar L = sum(y * gy) for a random upstream gradient gy of
y's shape, so gx = dL/dx, gW = dL/dW, ... (computed with torch.autograd.grad). Losses
(softmax_ce, mse) are differentiated directly (upstream gradient 1).

zoo conventions that differ from PyTorch: the linear layer stores W as (in, out), the
transpose of torch's weight, and computes y = x @ W + b; LayerNorm on an image batch
(N, C, H, W) normalises over (C, H, W) with per-channel gamma/beta, which is
GroupNorm with one group (Wu & He 2018), not torch's nn.LayerNorm([C, H, W]).

Determinism: all computation is float64 on one CPU thread; inputs come from NumPy
Generators seeded with (SEED, crc32("<group>/<case>")), so each case is independent of
the order of the others; torch.manual_seed(SEED) is set too although no torch RNG is used.
Running the script twice produces byte-identical files (check_golden.py verifies this).
See tools/golden/README.md for the description of every case.
"""

import argparse
import json
import math
import os
import re
import shutil
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20261101
GROUPS = ("layers", "optim", "sched")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_OUT = os.path.join(REPO_ROOT, "testdata", "golden")

DTYPE = torch.float64


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def to_numpy(value):
    """Return value as a C-contiguous little-endian float64 array (scalars -> shape (1,))."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype="<f8")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    return np.ascontiguousarray(arr)


def jsonable(value):
    """Convert tuples and NumPy scalars in a config value to plain JSON types."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


class Case:
    """One fixture directory: arrays are saved as they are put, meta.json on close."""

    def __init__(self, writer, group, name, description, **config):
        self.writer = writer
        self.group = group
        self.name = name
        self.dir = os.path.join(writer.out, group, name)
        os.makedirs(self.dir)
        self.meta = {"group": group, "case": name, "description": description}
        for key in config:
            if key in self.meta or key == "arrays":
                raise ValueError("reserved meta key %r" % key)
        self.meta.update(jsonable(config))
        self.arrays = {}
        self.rng = np.random.default_rng([SEED, zlib.crc32(("%s/%s" % (group, name)).encode())])

    def put(self, name, value):
        if name in self.arrays:
            raise ValueError("%s/%s: array %s written twice" % (self.group, self.name, name))
        arr = to_numpy(value)
        if not np.all(np.isfinite(arr)):
            raise ValueError("%s/%s: array %s is not finite" % (self.group, self.name, name))
        np.save(os.path.join(self.dir, name + ".npy"), arr, allow_pickle=False)
        self.arrays[name] = list(arr.shape)
        return arr

    def set(self, key, value):
        self.meta[key] = jsonable(value)

    def normal(self, *shape, scale=1.0, loc=0.0):
        return self.rng.normal(loc, scale, size=shape)

    def uniform(self, low, high, *shape):
        return self.rng.uniform(low, high, size=shape)

    def close(self):
        self.meta["arrays"] = self.arrays
        write_json(os.path.join(self.dir, "meta.json"), self.meta)
        self.writer.cases.append({"group": self.group, "case": self.name,
                                  "description": self.meta["description"]})

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        return False


class Writer:
    def __init__(self, out):
        self.out = out
        self.cases = []

    def case(self, group, name, description, **config):
        return Case(self, group, name, description, **config)


_NUMBER_LIST = re.compile(r"\[\s*((?:-?[0-9][0-9.e+-]*,\s*)*-?[0-9][0-9.e+-]*)\s*\]")


def write_json(path, obj):
    """Write sorted, indented JSON with lists of numbers (shapes, betas) on one line."""
    text = json.dumps(obj, indent=2, sort_keys=True, allow_nan=False)
    text = _NUMBER_LIST.sub(lambda m: "[" + ", ".join(re.split(r",\s*", m.group(1))) + "]", text)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text + "\n")


def tensor(a, grad=False):
    t = torch.tensor(np.asarray(a, dtype=np.float64), dtype=DTYPE)
    if grad:
        t.requires_grad_(True)
    return t


def backward(y, gy, inputs):
    """Gradients of L = sum(y * gy) with respect to inputs (a list of leaf tensors)."""
    loss = (y * tensor(gy)).sum()
    return torch.autograd.grad(loss, inputs)


# ---------------------------------------------------------------------------
# Group `layers`
# ---------------------------------------------------------------------------


def linear_cases(w):
    for name, bias in (("linear", True), ("linear_nobias", False)):
        desc = ("Fully connected layer y = x @ W + b with zoo's W layout (in, out), the "
                "transpose of torch's nn.Linear weight (out, in).")
        if not bias:
            desc = "As linear but without bias: y = x @ W."
        with w.case("layers", name, desc, in_features=5, out_features=3, bias=bias,
                    weight_layout="W is (in, out) = torch weight transposed; gW has the same (in, out) layout",
                    formula="y = x @ W" + (" + b" if bias else "")) as c:
            x = c.put("x", c.normal(4, 5))
            W = c.put("W", c.normal(5, 3, scale=0.5))
            b = c.put("b", c.normal(3)) if bias else None
            gy = c.put("gy", c.normal(4, 3))
            xt, Wt = tensor(x, True), tensor(W, True)
            bt = tensor(b, True) if bias else None
            y = F.linear(xt, Wt.t(), bt)
            c.put("y", y)
            grads = backward(y, gy, [xt, Wt] + ([bt] if bias else []))
            c.put("gx", grads[0])
            c.put("gW", grads[1])
            if bias:
                c.put("gb", grads[2])


def conv2d_cases(w):
    cases = [
        # name, x shape, W shape, stride, padding, bias, extra description
        ("conv2d_stride1_pad0", (2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (0, 0), True, ""),
        ("conv2d_stride1_pad1", (2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (1, 1), True, ""),
        ("conv2d_stride2_pad0", (2, 3, 7, 7), (4, 3, 3, 3), (2, 2), (0, 0), True, ""),
        ("conv2d_stride2_pad1", (2, 3, 7, 7), (4, 3, 3, 3), (2, 2), (1, 1), True, ""),
        ("conv2d_nobias", (2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (1, 1), False,
         " No bias (no b, no gb arrays)."),
        ("conv2d_stride2_floor", (2, 3, 8, 8), (4, 3, 3, 3), (2, 2), (0, 0), True,
         " Input 8x8 with stride 2 does not tile exactly: out = floor((8-3)/2)+1 = 3, the last"
         " input row/column is never read (its gx is 0)."),
        ("conv2d_rect", (2, 3, 6, 7), (4, 3, 2, 3), (1, 2), (0, 1), True,
         " Rectangular kernel (kh,kw)=(2,3), stride (1,2), padding (0,1), non-square input,"
         " to catch height/width mix-ups."),
    ]
    for name, xs, ws, stride, pad, bias, extra in cases:
        desc = ("2-D cross-correlation (torch F.conv2d), NCHW input, filter W (O, C, kh, kw) as in "
                "torch, bias b (O), zero padding, dilation 1, groups 1.") + extra
        with w.case("layers", name, desc, kernel=list(ws[2:]), stride=list(stride),
                    padding=list(pad), dilation=[1, 1], groups=1, bias=bias,
                    in_channels=ws[1], out_channels=ws[0],
                    output_size="out = floor((in + 2*pad - k) / stride) + 1") as c:
            x = c.put("x", c.normal(*xs))
            W = c.put("W", c.normal(*ws, scale=0.3))
            b = c.put("b", c.normal(ws[0])) if bias else None
            xt, Wt = tensor(x, True), tensor(W, True)
            bt = tensor(b, True) if bias else None
            y = F.conv2d(xt, Wt, bt, stride=stride, padding=pad)
            gy = c.put("gy", c.normal(*y.shape))
            c.put("y", y)
            grads = backward(y, gy, [xt, Wt] + ([bt] if bias else []))
            c.put("gx", grads[0])
            c.put("gW", grads[1])
            if bias:
                c.put("gb", grads[2])


def assert_no_ties(x, kernel, stride, pad):
    """Fail if any max-pool window has two equal maxima (gradient would be ambiguous)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    n, ch, h, wd = xp.shape
    for i in range(0, h - kernel + 1, stride):
        for j in range(0, wd - kernel + 1, stride):
            win = xp[:, :, i:i + kernel, j:j + kernel].reshape(n, ch, -1)
            top = np.sort(win, axis=2)
            if np.any(top[:, :, -1] == top[:, :, -2]):
                raise ValueError("max-pool fixture input has a tie")


def pool_cases(w):
    cases = [
        ("maxpool2d_k2s2", "max", (2, 3, 6, 6), 2, 2, 0, ""),
        ("maxpool2d_k3s2p1", "max", (2, 3, 7, 7), 3, 2, 1,
         " Overlapping windows: an input that is the max of two windows receives both"
         " upstream gradients (summed). Padding counts as -inf (never the max)."),
        ("maxpool2d_k2s2_odd", "max", (2, 3, 7, 7), 2, 2, 0,
         " Odd input 7x7: out = floor((7-2)/2)+1 = 3 (ceil_mode=False), the last row and"
         " column are dropped (gx 0 there)."),
        ("avgpool2d_k2s2", "avg", (2, 3, 6, 6), 2, 2, 0, ""),
        ("avgpool2d_k3s2p1", "avg", (2, 3, 7, 7), 3, 2, 1,
         " count_include_pad=True (torch default): every window is divided by k*k = 9, the"
         " zero padding included, also at the borders."),
    ]
    for name, kind, xs, k, s, p, extra in cases:
        if kind == "max":
            desc = "Max pooling (torch F.max_pool2d), NCHW, inputs without ties." + extra
            cfg = {}
        else:
            desc = "Average pooling (torch F.avg_pool2d), NCHW." + extra
            cfg = {"count_include_pad": True}
        with w.case("layers", name, desc, kernel=[k, k], stride=[s, s], padding=[p, p],
                    ceil_mode=False, dilation=[1, 1],
                    output_size="out = floor((in + 2*pad - k) / stride) + 1", **cfg) as c:
            x = c.put("x", c.normal(*xs))
            xt = tensor(x, True)
            if kind == "max":
                assert_no_ties(x, k, s, p)
                y = F.max_pool2d(xt, k, s, p)
            else:
                y = F.avg_pool2d(xt, k, s, p, count_include_pad=True)
            gy = c.put("gy", c.normal(*y.shape))
            c.put("y", y)
            (gx,) = backward(y, gy, [xt])
            c.put("gx", gx)


def batchnorm_cases(w):
    momentum, eps = 0.1, 1e-5
    cases = [
        ("batchnorm1d", (8, 4), True),
        ("batchnorm1d_noaffine", (8, 4), False),
        ("batchnorm2d", (4, 3, 5, 5), True),
        ("batchnorm2d_noaffine", (4, 3, 5, 5), False),
    ]
    for name, shape, affine in cases:
        ch = shape[1]
        two_d = len(shape) == 4
        axes = "(N, H, W)" if two_d else "(N)"
        desc = ("torch nn.BatchNorm%s(%d, eps=1e-5, momentum=0.1, affine=%s): 3 training steps on "
                "different inputs, then one eval step. gamma/beta are not updated between steps."
                % ("2d" if two_d else "1d", ch, affine))
        with w.case(
                "layers", name, desc, num_features=ch, eps=eps, momentum=momentum, affine=affine,
                track_running_stats=True, steps=3, normalised_axes=axes,
                train_formula=("mu = mean over %s, var_b = biased variance (divide by n); "
                               "y = (x - mu) / sqrt(var_b + eps) * gamma + beta" % axes),
                running_update=("running_mean = (1 - momentum) * running_mean + momentum * mu; "
                                "running_var = (1 - momentum) * running_var + momentum * var_u, "
                                "var_u = unbiased variance (divide by n - 1), n = elements per channel"),
                eval_formula="y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta",
                naming=("step k = 1..3: inputs x{k}, gy{k}; outputs y{k}, gx{k}%s and the "
                        "buffers AFTER step k running_mean{k}, running_var{k}; initial buffers "
                        "running_mean0 = 0, running_var0 = 1; eval step: x_eval, gy_eval, y_eval, "
                        "gx_eval%s, running_mean_eval/running_var_eval (buffers after the eval "
                        "step, equal to running_*3)"
                        % ((", ggamma{k}, gbeta{k}", ", ggamma_eval, gbeta_eval") if affine
                           else ("", "")))) as c:
            mod = (nn.BatchNorm2d if two_d else nn.BatchNorm1d)(
                ch, eps=eps, momentum=momentum, affine=affine).to(DTYPE)
            params = []
            if affine:
                gamma = c.put("gamma", c.uniform(0.5, 1.5, ch))
                beta = c.put("beta", c.normal(ch, scale=0.5))
                with torch.no_grad():
                    mod.weight.copy_(tensor(gamma))
                    mod.bias.copy_(tensor(beta))
                params = [mod.weight, mod.bias]
            c.put("running_mean0", mod.running_mean)
            c.put("running_var0", mod.running_var)
            bshape = (1, ch, 1, 1) if two_d else (1, ch)

            def step(suffix):
                # Per-channel offsets and scales so the running statistics move visibly.
                loc = c.normal(ch, scale=2.0).reshape(bshape)
                scale = c.uniform(0.5, 3.0, ch).reshape(bshape)
                x = c.put("x" + suffix, c.normal(*shape) * scale + loc)
                xt = tensor(x, True)
                y = mod(xt)
                gy = c.put("gy" + suffix, c.normal(*shape))
                c.put("y" + suffix, y)
                grads = backward(y, gy, [xt] + params)
                c.put("gx" + suffix, grads[0])
                if affine:
                    c.put("ggamma" + suffix, grads[1])
                    c.put("gbeta" + suffix, grads[2])
                c.put("running_mean" + suffix, mod.running_mean)
                c.put("running_var" + suffix, mod.running_var)

            mod.train()
            for k in (1, 2, 3):
                step(str(k))
            before = (mod.running_mean.clone(), mod.running_var.clone())
            mod.eval()
            step("_eval")
            if not (torch.equal(before[0], mod.running_mean) and torch.equal(before[1], mod.running_var)):
                raise AssertionError("eval changed the running statistics")


def affine_norm_case(w, name, desc, mod, shape, extra_cfg):
    """Write x, gamma, beta, gy, y, gx, ggamma, gbeta for a normalisation module."""
    with w.case("layers", name, desc, **extra_cfg) as c:
        pshape = tuple(mod.weight.shape)
        gamma = c.put("gamma", c.uniform(0.5, 1.5, *pshape))
        beta = c.put("beta", c.normal(*pshape, scale=0.5))
        with torch.no_grad():
            mod.weight.copy_(tensor(gamma))
            mod.bias.copy_(tensor(beta))
        x = c.put("x", c.normal(*shape, scale=2.0) + c.normal(*shape[:2], scale=1.0).reshape(
            shape[:2] + (1,) * (len(shape) - 2)))
        xt = tensor(x, True)
        y = mod(xt)
        gy = c.put("gy", c.normal(*shape))
        c.put("y", y)
        gx, gg, gb = backward(y, gy, [xt, mod.weight, mod.bias])
        c.put("gx", gx)
        c.put("ggamma", gg)
        c.put("gbeta", gb)


def norm_cases(w):
    eps = 1e-5
    affine_norm_case(
        w, "layernorm_2d",
        "torch nn.LayerNorm(6, eps=1e-5) on (N, D) = (4, 6): each row normalised over D with "
        "biased variance; gamma/beta shape (D,).",
        nn.LayerNorm(6, eps=eps).to(DTYPE), (4, 6),
        dict(eps=eps, normalized_shape=[6], normalised_axes="(D)",
             formula="y = (x - mean_D) / sqrt(var_D + eps) * gamma + beta, var biased"))
    affine_norm_case(
        w, "layernorm_4d",
        "zoo LayerNorm on images (N, C, H, W) = (2, 4, 3, 3): each sample normalised over "
        "(C, H, W) with PER-CHANNEL gamma/beta (C,) = GroupNorm with one group (Wu & He 2018); "
        "computed with torch nn.GroupNorm(1, 4, eps=1e-5). Not torch nn.LayerNorm([C,H,W]), "
        "whose affine is elementwise (C, H, W).",
        nn.GroupNorm(1, 4, eps=eps).to(DTYPE), (2, 4, 3, 3),
        dict(eps=eps, num_groups=1, num_channels=4, normalised_axes="(C, H, W) per sample",
             torch_module="nn.GroupNorm(1, 4)",
             formula="y = (x - mean_CHW) / sqrt(var_CHW + eps) * gamma[c] + beta[c], var biased"))
    for g in (2, 3):
        affine_norm_case(
            w, "groupnorm_g%d" % g,
            "torch nn.GroupNorm(%d, 6, eps=1e-5) on (N, C, H, W) = (2, 6, 3, 3): channels split "
            "into %d contiguous groups of %d; each (sample, group) normalised over its channels "
            "and H, W with biased variance; per-channel gamma/beta (C,)." % (g, g, 6 // g),
            nn.GroupNorm(g, 6, eps=eps).to(DTYPE), (2, 6, 3, 3),
            dict(eps=eps, num_groups=g, num_channels=6,
                 normalised_axes="(C/G channels of the group, H, W) per sample",
                 formula="group of channel c is c // (C/G); y = (x - mean_g) / sqrt(var_g + eps) "
                         "* gamma[c] + beta[c], var biased"))
    affine_norm_case(
        w, "instancenorm",
        "torch nn.InstanceNorm2d(4, eps=1e-5, affine=True, track_running_stats=False) on "
        "(2, 4, 3, 3): each (sample, channel) normalised over (H, W) with biased variance; "
        "per-channel gamma/beta (C,). Same statistics in train and eval (no running stats).",
        nn.InstanceNorm2d(4, eps=eps, affine=True, track_running_stats=False).to(DTYPE),
        (2, 4, 3, 3),
        dict(eps=eps, num_features=4, affine=True, track_running_stats=False,
             normalised_axes="(H, W) per sample and channel",
             formula="y = (x - mean_HW) / sqrt(var_HW + eps) * gamma[c] + beta[c], var biased"))


def softmax_ce_cases(w):
    n, k = 5, 10
    common = dict(
        reduction="mean", loss_shape=[1],
        formula=("loss = mean_i( logsumexp(logits[i]) - logits[i, labels[i]] ); "
                 "glogits = (probs - onehot(labels)) / N; probs = softmax(logits, dim=1)"),
        labels_dtype="float64 holding integer class indices in [0, K)",
        arrays_note=("loss_per_sample (N,) is the unreduced loss (reduction='none'); "
                     "glogits is d loss / d logits for the mean loss (upstream gradient 1)"))

    def write(c, logits, labels):
        c.put("logits", logits)
        c.put("labels", labels.astype(np.float64))
        lt = tensor(logits, True)
        lab = torch.tensor(labels, dtype=torch.int64)
        loss = F.cross_entropy(lt, lab)
        (g,) = torch.autograd.grad(loss, [lt])
        c.put("loss", loss.reshape(1))
        c.put("loss_per_sample", F.cross_entropy(lt.detach(), lab, reduction="none"))
        c.put("probs", F.softmax(lt.detach(), dim=1))
        c.put("glogits", g)

    with w.case("layers", "softmax_ce_small",
                "Softmax cross-entropy from logits (N, K) = (5, 10), standard-normal logits, "
                "integer labels; torch F.cross_entropy with reduction='mean'.",
                N=n, K=k, **common) as c:
        logits = c.normal(n, k)
        labels = c.rng.integers(0, k, size=n)
        write(c, logits, labels)

    with w.case("layers", "softmax_ce_large",
                "Softmax cross-entropy with logits up to +-1000 to test numerical stability "
                "(a naive exp overflows). Rows: 0 = [1000, -1000, 0, ...] label 0 (loss 0); "
                "1 = all 1000, label 3 (loss log 10); 2 = label's logit -1000 while another is "
                "1000 (loss 2000); 3 = all -1000, label 9 (loss log 10); 4 = uniform in "
                "[-1000, 1000], random label. Expected: every value finite.",
                N=n, K=k, **common) as c:
        logits = np.zeros((n, k))
        logits[0, 0], logits[0, 1] = 1000.0, -1000.0
        logits[1, :] = 1000.0
        logits[2, :] = c.normal(k)
        logits[2, 2], logits[2, 7] = -1000.0, 1000.0
        logits[3, :] = -1000.0
        logits[4, :] = c.uniform(-1000.0, 1000.0, k)
        labels = np.array([0, 3, 2, 9, int(c.rng.integers(0, k))])
        write(c, logits, labels)


def mse_case(w):
    with w.case("layers", "mse",
                "Mean squared error, mean over ALL elements (torch F.mse_loss, "
                "reduction='mean'), no 1/2 factor.",
                reduction="mean", loss_shape=[1],
                formula="loss = sum((pred - target)^2) / numel; gpred = 2 (pred - target) / numel") as c:
        pred = c.put("pred", c.normal(4, 3))
        target = c.put("target", c.normal(4, 3))
        pt = tensor(pred, True)
        loss = F.mse_loss(pt, tensor(target))
        (g,) = torch.autograd.grad(loss, [pt])
        c.put("loss", loss.reshape(1))
        c.put("gpred", g)


def activation_cases(w):
    cases = [
        ("relu", "ReLU y = max(x, 0)", lambda x: F.relu(x), {}),
        ("leaky_relu_0p01", "Leaky ReLU, negative slope 0.01: y = x if x > 0 else 0.01 x",
         lambda x: F.leaky_relu(x, 0.01), {"negative_slope": 0.01}),
        ("leaky_relu_0p2", "Leaky ReLU, negative slope 0.2: y = x if x > 0 else 0.2 x",
         lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2}),
        ("sigmoid", "Logistic sigmoid y = 1 / (1 + exp(-x))", torch.sigmoid, {}),
        ("tanh", "Hyperbolic tangent", torch.tanh, {}),
    ]
    for name, desc, fn, cfg in cases:
        with w.case("layers", name, desc + " on x (4, 5); |x| in [0.05, 3] except x[0, 0] = x[2, 3] = 0.0 "
                    "and x[1, 2] = -0.0 exactly (where ReLU's and leaky ReLU's gradient conventions show).",
                    **cfg) as c:
            x = c.uniform(0.05, 3.0, 4, 5) * np.where(c.rng.random((4, 5)) < 0.5, -1.0, 1.0)
            x[0, 0] = x[2, 3] = 0.0
            x[1, 2] = -0.0
            x = c.put("x", x)
            xt = tensor(x, True)
            y = fn(xt)
            gy = c.put("gy", c.normal(4, 5))
            c.put("y", y)
            (gx,) = backward(y, gy, [xt])
            c.put("gx", gx)


# ---------------------------------------------------------------------------
# Group `optim`
# ---------------------------------------------------------------------------

OPTIM_STEPS = 5
# Per-step gradient scales: varying magnitudes make AMSGrad's max(v) differ from v.
GRAD_SCALES = (1.0, 0.5, 2.0, 0.1, 1.0)

SGD_RULE = ("torch 1.13 SGD, per element, step t = 1..5: d = g_t + weight_decay * p; if momentum != 0: "
            "buf = d at t = 1 (NO dampening on the first step), else buf = momentum * buf + "
            "(1 - dampening) * d; d = d + momentum * buf if nesterov else buf; p = p - lr * d")
ADAM_RULE = ("torch 1.13 Adam, per element, step t = 1..5: g = g_t + weight_decay * p (coupled L2); "
             "m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2 (m, v start at 0); "
             "if amsgrad: vmax = max(vmax, v), use vmax in place of v; "
             "p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)")
ADAMW_RULE = ("torch 1.13 AdamW, per element, step t = 1..5: p = p * (1 - lr * weight_decay) "
              "(decoupled), then the Adam update without weight decay: m = b1 m + (1 - b1) g_t; "
              "v = b2 v + (1 - b2) g_t^2; p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)")


def optim_inputs():
    """Fixed parameters and scripted gradients shared by every optimizer case."""
    rng = np.random.default_rng([SEED, zlib.crc32(b"optim/inputs")])
    p0 = rng.normal(0.0, 1.0, (3, 4))
    b0 = rng.normal(0.0, 0.5, (4,))
    gs = [rng.normal(0.0, s, (3, 4)) for s in GRAD_SCALES]
    gbs = [rng.normal(0.0, s, (4,)) for s in GRAD_SCALES]
    return p0, b0, gs, gbs


def reference_step(kind, hp, state, p, g, t):
    """NumPy re-implementation of the documented update rules, as a cross-check."""
    lr, wd = hp["lr"], hp.get("weight_decay", 0.0)
    if kind == "sgd":
        d = g + wd * p
        mom = hp.get("momentum", 0.0)
        if mom != 0:
            if t == 1:
                state["buf"] = d.copy()
            else:
                state["buf"] = mom * state["buf"] + (1 - hp.get("dampening", 0.0)) * d
            d = d + mom * state["buf"] if hp.get("nesterov", False) else state["buf"]
        return p - lr * d
    b1, b2 = hp["betas"]
    eps = hp["eps"]
    if kind == "adamw":
        p = p * (1 - lr * wd)
    else:
        g = g + wd * p
    if t == 1:
        state["m"] = np.zeros_like(p)
        state["v"] = np.zeros_like(p)
        state["vmax"] = np.zeros_like(p)
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    v = state["v"]
    if hp.get("amsgrad", False):
        state["vmax"] = np.maximum(state["vmax"], v)
        v = state["vmax"]
    denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps
    return p - lr / (1 - b1 ** t) * state["m"] / denom


def optimizer_cases(w):
    p0, b0, gs, gbs = optim_inputs()
    cases = [
        ("sgd", "sgd", "Plain SGD, lr 0.1.", dict(lr=0.1)),
        ("sgd_wd", "sgd", "SGD with coupled weight decay 0.01 (g + 0.01 p).",
         dict(lr=0.1, weight_decay=0.01)),
        ("momentum", "sgd", "SGD with momentum 0.9 (heavy ball, torch form: p -= lr * buf).",
         dict(lr=0.1, momentum=0.9)),
        ("momentum_dampening", "sgd", "SGD, momentum 0.9, dampening 0.1 (not applied on step 1).",
         dict(lr=0.1, momentum=0.9, dampening=0.1)),
        ("nesterov", "sgd", "SGD with Nesterov momentum 0.9.",
         dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("momentum_wd", "sgd", "SGD, momentum 0.9, coupled weight decay 0.01.",
         dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
        ("adam", "adam", "Adam, lr 1e-3, betas (0.9, 0.999), eps 1e-8.",
         dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)),
        ("adam_wd", "adam", "Adam with coupled L2 weight_decay 0.01 (added to the gradient).",
         dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
        ("adamw", "adamw", "AdamW, decoupled weight decay 0.01 (p *= 1 - lr*wd before Adam).",
         dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
        ("adam_amsgrad", "adam", "Adam with amsgrad=True (max of v over steps).",
         dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, amsgrad=True)),
    ]
    classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    rules = {"sgd": SGD_RULE, "adam": ADAM_RULE, "adamw": ADAMW_RULE}
    for name, kind, desc, hp in cases:
        p = tensor(p0, True)
        b = tensor(b0, True)
        opt = classes[kind]([p, b], **hp)
        hyper = {k: v for k, v in opt.defaults.items()
                 if k not in ("foreach", "differentiable", "capturable", "fused")}
        with w.case("optim", name,
                    desc + " 5 steps from p0 (3, 4) and b0 (4,) with scripted gradients; both "
                    "tensors are in ONE param group, so weight decay applies to the bias too.",
                    optimizer="torch.optim." + classes[kind].__name__, hyperparameters=hyper,
                    steps=OPTIM_STEPS, update_rule=rules[kind], grad_scales=list(GRAD_SCALES),
                    naming=("p0, b0: initial weight and bias; g{k}, gb{k}: gradients used in step "
                            "k = 1..5; p{k}, b{k}: values AFTER step k")) as c:
            c.put("p0", p0)
            c.put("b0", b0)
            ref_state = ({}, {})
            ref = [p0.copy(), b0.copy()]
            for t in range(1, OPTIM_STEPS + 1):
                c.put("g%d" % t, gs[t - 1])
                c.put("gb%d" % t, gbs[t - 1])
                p.grad = tensor(gs[t - 1])
                b.grad = tensor(gbs[t - 1])
                opt.step()
                pk = c.put("p%d" % t, p)
                bk = c.put("b%d" % t, b)
                ref[0] = reference_step(kind, hp, ref_state[0], ref[0], gs[t - 1], t)
                ref[1] = reference_step(kind, hp, ref_state[1], ref[1], gbs[t - 1], t)
                if not (np.allclose(ref[0], pk, rtol=1e-13, atol=1e-15)
                        and np.allclose(ref[1], bk, rtol=1e-13, atol=1e-15)):
                    raise AssertionError("optim/%s step %d: torch and documented rule disagree" % (name, t))


def clip_cases(w):
    for name, target, desc in (
            ("clip_norm_above", 3.0, "Global L2 norm of the two gradients is 3 > max_norm 1: both are "
                                     "scaled by max_norm / (total_norm + 1e-6)."),
            ("clip_norm_below", 0.5, "Global L2 norm is 0.5 < max_norm 1: clip_coef clamps to 1, "
                                     "gradients unchanged.")):
        with w.case("optim", name,
                    "torch.nn.utils.clip_grad_norm_ over two gradient tensors g_a (3, 4) and g_b (4,), "
                    "max_norm 1.0, norm_type 2. " + desc,
                    max_norm=1.0, norm_type=2.0,
                    formula=("total_norm = sqrt(sum(g_a^2) + sum(g_b^2)); clip_coef = "
                             "min(1, max_norm / (total_norm + 1e-6)); clipped_x = g_x * clip_coef. "
                             "Note the 1e-6: after clipping the norm is slightly BELOW max_norm."),
                    scalar_shape=[1]) as c:
            ga = c.normal(3, 4)
            gb = c.normal(4)
            s = target / math.sqrt(np.sum(ga * ga) + np.sum(gb * gb))
            ga, gb = c.put("g_a", ga * s), c.put("g_b", gb * s)
            pa = tensor(np.zeros((3, 4)), True)
            pb = tensor(np.zeros(4), True)
            pa.grad, pb.grad = tensor(ga), tensor(gb)
            total = torch.nn.utils.clip_grad_norm_([pa, pb], max_norm=1.0, norm_type=2.0)
            c.put("clipped_a", pa.grad)
            c.put("clipped_b", pb.grad)
            c.put("total_norm", total.reshape(1))
            c.put("clip_coef", torch.clamp(1.0 / (total + 1e-6), max=1.0).reshape(1))


# ---------------------------------------------------------------------------
# Group `sched`
# ---------------------------------------------------------------------------

SCHED_EPOCHS = 12
BASE_LR = 0.1
EPOCH_INDEX = ("lrs[e], e = 0..11 (0-based), is the learning rate in effect DURING epoch e: it is "
               "read from optimizer.param_groups[0]['lr'] before scheduler.step() is called at the "
               "end of epoch e. lrs[0] is the base lr 0.1 (the value after constructing the scheduler).")
PLATEAU_METRICS = [1.0, 0.8, 0.8, 0.79995, 0.81, 0.7, 0.7, 0.71, 0.72, 0.6999, 0.75, 0.76]


def sched_cases(w):
    lr_s = torch.optim.lr_scheduler

    def run(make, metrics=None):
        p = tensor(np.zeros(1), True)
        opt = torch.optim.SGD([p], lr=BASE_LR)
        sched = make(opt)
        lrs = []
        for e in range(SCHED_EPOCHS):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()  # no gradient: nothing happens, but keeps torch's call order
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[e])
        return np.array(lrs)

    e = np.arange(SCHED_EPOCHS)
    cases = [
        ("step_lr", "StepLR(step_size=3, gamma=0.5): lr = 0.1 * 0.5^floor(e / 3).",
         lambda o: lr_s.StepLR(o, step_size=3, gamma=0.5),
         dict(scheduler="StepLR", step_size=3, gamma=0.5),
         BASE_LR * 0.5 ** (e // 3)),
        ("exponential_lr", "ExponentialLR(gamma=0.9): lr = 0.1 * 0.9^e.",
         lambda o: lr_s.ExponentialLR(o, gamma=0.9),
         dict(scheduler="ExponentialLR", gamma=0.9),
         BASE_LR * 0.9 ** e),
        ("cosine_annealing_lr",
         "CosineAnnealingLR(T_max=10, eta_min=0.001): lr = eta_min + (0.1 - eta_min) * "
         "(1 + cos(pi * e / 10)) / 2; past T_max the cosine continues (period 2 T_max), so "
         "lr rises again in epoch 11.",
         lambda o: lr_s.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
         dict(scheduler="CosineAnnealingLR", T_max=10, eta_min=0.001),
         0.001 + (BASE_LR - 0.001) * (1 + np.cos(np.pi * e / 10)) / 2),
    ]
    for name, desc, make, cfg, closed in cases:
        lrs = run(make)
        diff = float(np.max(np.abs(lrs - closed)))
        if diff > 1e-12:
            raise AssertionError("sched/%s: torch and closed form differ by %g" % (name, diff))
        with w.case("sched", name, desc, base_lr=BASE_LR, epochs=SCHED_EPOCHS, index=EPOCH_INDEX,
                    closed_form_max_abs_diff_below=1e-12,  # asserted above; the diff itself varies with libm
                    note=("torch updates the lr recursively (multiplying the previous lr), so "
                          "lrs may differ from the closed form by a few ulp; compare with a "
                          "tolerance of about 1e-12."),
                    **cfg) as c:
            c.put("lrs", lrs)

    plateau_cfg = dict(scheduler="ReduceLROnPlateau", mode="min", factor=0.5, patience=2,
                       threshold=1e-4, threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8)
    with w.case(
            "sched", "reduce_lr_on_plateau",
            "ReduceLROnPlateau(mode='min', factor=0.5, patience=2, threshold=1e-4, "
            "threshold_mode='rel', cooldown=0, min_lr=0) fed the scripted metrics.npy. "
            "metrics[3] = 0.79995 is NOT an improvement on 0.8 (needs < 0.8 * (1 - 1e-4) = "
            "0.79992); metrics[9] = 0.6999 IS one on 0.7 (< 0.69993). Reductions take effect in "
            "epochs 5 and 9.",
            base_lr=BASE_LR, epochs=SCHED_EPOCHS,
            index=EPOCH_INDEX + (" metrics[e] is the value observed at the end of epoch e and "
                                 "passed as scheduler.step(metrics[e]); it can change lrs[e+1] "
                                 "at the earliest."),
            rule=("improvement iff metric < best * (1 - threshold); else num_bad += 1; when "
                  "num_bad > patience: lr = max(lr * factor, min_lr) (only if the change > eps), "
                  "num_bad = 0, cooldown starts; best starts at +inf."),
            **plateau_cfg) as c:
        metrics = c.put("metrics", PLATEAU_METRICS)
        kw = {k: v for k, v in plateau_cfg.items() if k != "scheduler"}
        lrs = run(lambda o: lr_s.ReduceLROnPlateau(o, **kw), list(metrics))
        expected = np.array([0.1] * 5 + [0.05] * 4 + [0.025] * 3)
        if not np.array_equal(lrs, expected):
            raise AssertionError("sched/reduce_lr_on_plateau: unexpected lrs %s" % lrs)
        c.put("lrs", lrs)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

OUT_README = """\
# Golden fixtures (generated)

Generated by `tools/golden/make_golden.py` with PyTorch; do not edit by hand.
Regenerate with `/usr/bin/python3 tools/golden/make_golden.py` and verify with
`/usr/bin/python3 tools/golden/check_golden.py`. Layout, conventions and every case are
described in tools/golden/README.md; each case's meta.json describes its own arrays.
"""


def generate(out):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(out, exist_ok=True)
    # Remove only what this script writes, so a wrong --out cannot wipe unrelated files.
    for group in GROUPS:
        shutil.rmtree(os.path.join(out, group), ignore_errors=True)
    w = Writer(out)
    linear_cases(w)
    conv2d_cases(w)
    pool_cases(w)
    batchnorm_cases(w)
    norm_cases(w)
    softmax_ce_cases(w)
    mse_case(w)
    activation_cases(w)
    optimizer_cases(w)
    clip_cases(w)
    sched_cases(w)
    write_json(os.path.join(out, "MANIFEST.json"), {
        "generator": "tools/golden/make_golden.py",
        "seed": SEED,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "dtype": "<f8 (little-endian float64), C order, .npy format 1.0; scalars have shape (1,)",
        "layout": "<group>/<case>/<array>.npy and <group>/<case>/meta.json",
        "cases": w.cases,
    })
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(OUT_README)
    return w.cases


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    cases = generate(args.out)
    if not args.quiet:
        print("wrote %d cases to %s" % (len(cases), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
