#!/usr/bin/python3
"""Check every ONNX export listed in DIR/manifest.json with python3-onnx.

    python3 tools/onnxcheck/check_onnx.py DIR

DIR is written by `go run ./tools/onnxcheck -out DIR`. For each file:
onnx.checker.check_model with full_check (which also runs shape inference),
then the exported interface: one float32 input "input" [N,1,28,28] with a
symbolic batch dimension, outputs "logits" and "probabilities" [N,10], the
default-domain opset the manifest names, and the metadata keys zoo.model and
zoo.test_error. Prints one JSON line per file; exit status 0 when all pass.
Needs Debian's python3-onnx (1.12: opsets up to 17).
"""
import json, os, sys

import onnx
from onnx import TensorProto


def dims(value_info):
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.HasField("dim_param") else d.dim_value)
    return out


def check(path, opset):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    g = m.graph
    problems = []
    if [i.name for i in g.input] != ["input"]:
        problems.append("inputs %s" % [i.name for i in g.input])
    elif g.input[0].type.tensor_type.elem_type != TensorProto.FLOAT or dims(g.input[0]) != ["N", 1, 28, 28]:
        problems.append("input %s" % dims(g.input[0]))
    if [o.name for o in g.output] != ["logits", "probabilities"]:
        problems.append("outputs %s" % [o.name for o in g.output])
    for o in g.output:
        if dims(o) != ["N", 10]:
            problems.append("output %s %s" % (o.name, dims(o)))
    ops = {o.domain: o.version for o in m.opset_import}
    if ops.get("", ops.get("ai.onnx")) != opset:
        problems.append("opset %s, want %d" % (ops, opset))
    meta = {p.key: p.value for p in m.metadata_props}
    for key in ("zoo.model", "zoo.test_error"):
        if key not in meta:
            problems.append("no metadata " + key)
    return problems, meta, sorted({n.op_type for n in g.node})


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    man = json.load(open(os.path.join(d, "manifest.json")))
    ok = True
    for c in man["cases"]:
        try:
            problems, meta, ops = check(os.path.join(d, c["onnx"]), c["opset"])
        except Exception as e:  # the checker's own errors
            problems, meta, ops = ["checker: %s" % e], {}, []
        ok = ok and not problems
        print(json.dumps({"case": c["name"], "checker_ok": not problems, "problems": problems, "ops": ops,
                          "model": meta.get("zoo.model"), "test_error": meta.get("zoo.test_error")}))
    print(json.dumps({"onnx": onnx.__version__, "all_pass": ok}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
