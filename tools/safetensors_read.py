#!/usr/bin/env python3
"""Pure-NumPy reader and writer for safetensors files (no `safetensors` package).

    python3 tools/safetensors_read.py FILE             # list tensors, metadata
    python3 tools/safetensors_read.py --write FILE     # write a sample file

Used to check that files written by zoo's training/safetensors load in Python
and that files written here load in Go.
"""
import json, struct, sys
import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    buf = data[8 + n:]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        arr = np.frombuffer(buf[begin:end], dtype=DTYPES[info["dtype"]])
        out[name] = arr.reshape(info["shape"])
    return out, meta


def write(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, arr in tensors.items():
        arr = np.asarray(arr)  # tobytes() below writes C order whatever the layout
        dtype = next(k for k, v in DTYPES.items() if np.dtype(v) == arr.dtype.newbyteorder("<"))
        raw = arr.astype(DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main(argv):
    if len(argv) == 3 and argv[1] == "--write":
        rng = np.random.default_rng(7)
        write(argv[2], {
            "w": rng.standard_normal((3, 4)).astype(np.float32),
            "b": np.array([0.5, -1.25, 1e-300], dtype=np.float64),
            "wt": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)).T,
            "steps": np.array([[1, -2], [3, 2**40]], dtype=np.int64),
            "scalar": np.float64(3.5),
            "mask": np.array([True, False]),
        }, {"writer": "numpy", "note": "ünïcode"})
        return 0
    tensors, meta = read(argv[1])
    print("metadata", json.dumps(meta, sort_keys=True, ensure_ascii=False))
    for name, arr in tensors.items():
        print(name, arr.dtype.str, list(arr.shape), arr.ravel().tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
