#!/usr/bin/env python3
"""Compare two per-op tensor dumps written by `xclass ... --dump FILE` (same graph, two
arithmetic classes) and report where they first differ.

  dumpcmp.py A.dump B.dump [--all] [--layers N]

Prints, in graph order, each tensor's name, op, type and whether the bytes are identical
(max |diff| and max relative diff for F32/F16); then the first differing tensor, and per op
the first tensor of that op that differs with its inputs identical ("origin"), i.e. ops that
create a difference rather than only propagate one.
"""
import struct
import sys

import numpy as np

TYPES = {0: "f32", 1: "f16", 8: "q8_0", 9: "q8_1", 3: "q4_1", 24: "i8", 25: "i16", 26: "i32"}


def read(path):
    out = []
    with open(path, "rb") as f:
        while True:
            h = f.read(4)
            if not h:
                break
            (l1,) = struct.unpack("<I", h)
            name = f.read(l1).decode()
            (l2,) = struct.unpack("<I", f.read(4))
            op = f.read(l2).decode()
            (typ,) = struct.unpack("<i", f.read(4))
            ne = struct.unpack("<4q", f.read(32))
            (nb,) = struct.unpack("<Q", f.read(8))
            data = f.read(nb)
            (ns,) = struct.unpack("<I", f.read(4))
            srcs = []
            for _ in range(ns):
                (l,) = struct.unpack("<I", f.read(4))
                srcs.append(f.read(l).decode())
            out.append((name, op, typ, ne, data, srcs))
    return out


def diff(typ, a, b):
    if typ == 0:
        x, y = np.frombuffer(a, "<f4").astype(np.float64), np.frombuffer(b, "<f4").astype(np.float64)
    elif typ == 1:
        x, y = np.frombuffer(a, "<f2").astype(np.float64), np.frombuffer(b, "<f2").astype(np.float64)
    else:
        x, y = np.frombuffer(a, "u1").astype(np.float64), np.frombuffer(b, "u1").astype(np.float64)
    fin = np.isfinite(x) & np.isfinite(y)
    d = np.abs(x - y)[fin]
    ne = int((np.frombuffer(a, "u1") != np.frombuffer(b, "u1")).sum())
    if d.size == 0:
        return 0.0, 0.0, ne
    rel = d / np.maximum(np.abs(x[fin]), 1e-30)
    return float(d.max()), float(rel.max()), ne


def main():
    args = [x for x in sys.argv[1:] if not x.startswith("--")]
    A, B = read(args[0]), read(args[1])
    show_all = "--all" in sys.argv
    if len(A) != len(B):
        print(f"warning: {len(A)} vs {len(B)} tensors; comparing the common prefix")
    first = None
    origins = {}
    seen_diff_names = set()
    rows = []
    for i, (ta, tb) in enumerate(zip(A, B)):
        na, opa, typ, ne, da, srcs = ta
        nb_, opb, _, _, db, _ = tb
        if na != nb_ or opa != opb:
            print(f"graph differs at #{i}: {na}/{opa} vs {nb_}/{opb}")
            break
        same = da == db
        if same:
            rows.append((i, na, opa, typ, ne, True, 0, 0, 0))
            continue
        mx, rel, nbytes = diff(typ, da, db)
        rows.append((i, na, opa, typ, ne, False, mx, rel, nbytes))
        if first is None:
            first = (i, na, opa)
        if not any(s in seen_diff_names for s in srcs):
            origins.setdefault(opa, []).append((i, na, mx, rel))
        seen_diff_names.add(na)
    for r in rows:
        i, na, op, typ, ne, same, mx, rel, nbytes = r
        if show_all or (not same and i < (first[0] + 40 if first else 0)):
            print(f"#{i:5d} {na:32s} {op:14s} {TYPES.get(typ, typ)!s:5s} {list(ne[:3])!s:20s} "
                  + ("identical" if same else f"DIFF max|d|={mx:.3g} maxrel={rel:.3g} bytes={nbytes}"))
    n_diff = sum(1 for r in rows if not r[5])
    print(f"\n{len(rows)} tensors compared, {n_diff} differ")
    if first:
        print(f"first differing tensor: #{first[0]} {first[1]} (op {first[2]})")
    print("\norigins (differing output, all dumped inputs identical), per op:")
    for k, v in origins.items():
        print(f"  {k:14s} {len(v):5d} tensors, first #{v[0][0]} {v[0][1]}, max rel diff {max(x[3] for x in v):.3g}")
    # per op kind: how many tensors differ
    by_op = {}
    for r in rows:
        k = r[2]
        t = by_op.setdefault(k, [0, 0, 0.0])
        t[0] += 1
        if not r[5]:
            t[1] += 1
            t[2] = max(t[2], r[7])
    print("\nop              tensors  differ  max rel diff")
    for k, (n, d, rel) in sorted(by_op.items(), key=lambda kv: -kv[1][1]):
        print(f"{k:15s} {n:7d} {d:7d}  {rel:.3g}")


if __name__ == "__main__":
    main()
