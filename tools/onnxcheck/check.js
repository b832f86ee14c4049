// Runs every ONNX export listed in DIR/manifest.json (written by
// `go run ./tools/onnxcheck -out DIR`) in onnxruntime for Node.js on the
// 10,000 MNIST test images and compares its probabilities with zoo's.
//
//   NODE_PATH=DIR_WITH_node_modules node tools/onnxcheck/check.js DIR [--tol 1e-5] [--batch 768]
//
// onnxruntime-node 1.17.0 (npm install --ignore-scripts onnxruntime-node@1.17.0)
// carries its Linux x64 library inside the package. For each case it prints
// one JSON line: argmax agreement, max |Δp| over all 100,000 probabilities,
// both test errors, and whether the graph's interface (input "input"
// [N,1,28,28], outputs "logits" and "probabilities" [N,10]) holds. Batches
// of 768 (zoo evaluates in 1,000s) end in a batch of 16, so the dynamic batch
// dimension takes two values.
// Exit status 0 when every case has identical argmax and max |Δp| <= tol.
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

function parseArgs(argv) {
  const a = { dir: null, tol: 1e-5, batch: 768 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--tol") a.tol = Number(argv[++i]);
    else if (argv[i] === "--batch") a.batch = Number(argv[++i]);
    else if (a.dir === null) a.dir = argv[i];
    else throw new Error("unexpected argument " + argv[i]);
  }
  if (a.dir === null) throw new Error("usage: node check.js DIR [--tol T] [--batch B]");
  return a;
}

function readTyped(file, Type) {
  const b = fs.readFileSync(file);
  return new Type(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function argmax(a, off, k) {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[off + j] > a[off + best]) best = j;
  return best;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const man = JSON.parse(fs.readFileSync(path.join(args.dir, "manifest.json"), "utf8"));
  const n = man.n, k = man.classes, px = 28 * 28;
  const images = readTyped(path.join(args.dir, man.images), Float32Array);
  const labels = readTyped(path.join(args.dir, man.labels), Uint8Array);
  if (images.length !== n * px || labels.length !== n) throw new Error("test set size mismatch");
  let ok = true;
  for (const c of man.cases) {
    const zoo = readTyped(path.join(args.dir, c.probabilities), Float64Array);
    const session = await ort.InferenceSession.create(path.join(args.dir, c.onnx));
    const iface = session.inputNames.join(",") === "input" && session.outputNames.join(",") === "logits,probabilities";
    let agree = 0, maxDiff = 0, wrongOrt = 0, wrongZoo = 0, shapesOk = true;
    for (let s = 0; s < n; s += args.batch) {
      const m = Math.min(args.batch, n - s);
      const x = new ort.Tensor("float32", images.subarray(s * px, (s + m) * px), [m, 1, 28, 28]);
      const out = await session.run({ input: x });
      const p = out.probabilities.data, z = out.logits.data;
      shapesOk = shapesOk && out.probabilities.dims.join() === `${m},${k}` && out.logits.dims.join() === `${m},${k}`;
      for (let i = 0; i < m; i++) {
        const a = argmax(p, i * k, k), b = argmax(zoo, (s + i) * k, k);
        if (a === b) agree++;
        if (a !== labels[s + i]) wrongOrt++;
        if (b !== labels[s + i]) wrongZoo++;
        if (argmax(z, i * k, k) !== a) shapesOk = false; // logits and probabilities must agree
        for (let j = 0; j < k; j++) {
          const d = Math.abs(p[i * k + j] - zoo[(s + i) * k + j]);
          if (!(d <= maxDiff)) maxDiff = d; // NaN propagates
        }
      }
    }
    const pass = iface && shapesOk && agree === n && maxDiff <= args.tol;
    ok = ok && pass;
    console.log(JSON.stringify({
      case: c.name, opset: c.opset, n, argmax_agree: agree, max_abs_dp: maxDiff,
      ort_test_error: (100 * wrongOrt) / n, zoo_test_error: (100 * wrongZoo) / n,
      interface_ok: iface && shapesOk, pass,
    }));
  }
  console.log(JSON.stringify({ onnxruntime_node: require("onnxruntime-node/package.json").version, all_pass: ok }));
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error("check.js:", e); process.exit(1); });
