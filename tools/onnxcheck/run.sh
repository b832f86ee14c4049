#!/usr/bin/env bash
# Exports every registry model and every net of internal/testnets (trained
# briefly), runs each export in onnxruntime for Node.js on the 10,000 MNIST
# test images against zoo's own probabilities, and checks each file with
# python3-onnx's checker.
#
#   tools/onnxcheck/run.sh [OUT_DIR]     (default: a new temporary directory)
#
# Needs node and npm (Debian's nodejs and npm), Debian's python3-onnx for
# /usr/bin/python3, and the Go module cache's MNIST. onnxruntime-node 1.17.0
# is installed once into $ZOO_ORT_DIR (default ~/.cache/zoo/onnxruntime-node-1.17.0)
# with --ignore-scripts: its Linux x64 library is inside the npm package.
# Extra arguments for the Go step go in $ONNXCHECK_FLAGS (e.g. "-train-limit 5000").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${1:-$(mktemp -d)}
ort=${ZOO_ORT_DIR:-$HOME/.cache/zoo/onnxruntime-node-1.17.0}
if [[ ! -f "$ort/node_modules/onnxruntime-node/package.json" ]]; then
	mkdir -p "$ort"
	npm install --prefix "$ort" --ignore-scripts --no-audit --no-fund --no-save onnxruntime-node@1.17.0 >&2
fi
# shellcheck disable=SC2086
go run ./tools/onnxcheck -out "$out" ${ONNXCHECK_FLAGS:-}
NODE_PATH="$ort/node_modules" node tools/onnxcheck/check.js "$out"
/usr/bin/python3 tools/onnxcheck/check_onnx.py "$out"
echo "onnxcheck: all exports agree with zoo and pass the checker ($out)" >&2
