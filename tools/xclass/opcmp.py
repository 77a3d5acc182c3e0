#!/usr/bin/env python3
"""Compare `xclass ops` outputs of several classes against a reference class.

  opcmp.py REF.bin OTHER.bin [OTHER2.bin ...]   (labels = file names)

Per op: identical bytes? otherwise the number of differing elements and the max relative
difference (float outputs) or differing bytes (quantised outputs).
"""
import os
import struct
import sys

import numpy as np


def read(path):
    out = {}
    order = []
    with open(path, "rb") as f:
        while True:
            h = f.read(4)
            if not h:
                break
            (l,) = struct.unpack("<I", h)
            name = f.read(l).decode()
            (nb,) = struct.unpack("<Q", f.read(8))
            out[name] = f.read(nb)
            order.append(name)
    return out, order


def cell(name, a, b):
    if a == b:
        return "identical"
    if name.startswith("quantize"):
        x, y = np.frombuffer(a, "u1"), np.frombuffer(b, "u1")
        return f"{int((x != y).sum())}/{x.size} bytes differ"
    dt = "<f2" if "f32->f16" in name else "<f4"
    x, y = np.frombuffer(a, dt).astype(np.float64), np.frombuffer(b, dt).astype(np.float64)
    ne = int((x != y).sum())
    d = np.abs(x - y)
    rel = (d / np.maximum(np.abs(x), 1e-30)).max()
    return f"{ne}/{x.size} differ, max rel {rel:.2g}"


def main():
    files = sys.argv[1:]
    ref, order = read(files[0])
    others = [(os.path.basename(p).replace("ops-", "").replace(".bin", ""), read(p)[0]) for p in files[1:]]
    print(f"| op (reference {os.path.basename(files[0]).replace('ops-', '').replace('.bin', '')}) | " + " | ".join(n for n, _ in others) + " |")
    print("|---" * (len(others) + 1) + "|")
    for name in order:
        print(f"| {name} | " + " | ".join(cell(name, ref[name], o[name]) for _, o in others) + " |")


if __name__ == "__main__":
    main()
