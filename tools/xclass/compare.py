#!/usr/bin/env python3
"""Compare two xclass logit files (see xclass.c for the format).

  compare.py A B [--json]

A is normally a producer's `generate` output, B a checker's `check` output of A.
Reports: bit-identical logits? max |diff|, the number of positions where B's arg-max is not
A's generated token (what an exact greedy check would reject), and the smallest top-2 gap
at those positions (in B's logits). Only the common prefix of identical tokens is compared
when A and B hold different token sequences (e.g. two producers' generations).
"""
import json
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"XCLS":
        raise SystemExit(f"{path}: not an xclass file")
    ver, n_prompt, n_gen, n_vocab, seed = struct.unpack_from("<5I", raw, 4)
    (temp,) = struct.unpack_from("<f", raw, 24)
    off = 28
    prompt = np.frombuffer(raw, "<i4", n_prompt, off); off += 4 * n_prompt
    gen = np.frombuffer(raw, "<i4", n_gen, off); off += 4 * n_gen
    logits = np.frombuffer(raw, "<f4", n_gen * n_vocab, off).reshape(n_gen, n_vocab)
    return dict(prompt=prompt, gen=gen, logits=logits, seed=seed, temp=temp, n_vocab=n_vocab)


def compare(a, b):
    if not np.array_equal(a["prompt"], b["prompt"]):
        return dict(error="different prompts")
    n = min(len(a["gen"]), len(b["gen"]))
    same = 0
    while same < n and a["gen"][same] == b["gen"][same]:
        same += 1
    # rows 0..same are conditioned on identical histories (row `same` is where tokens part)
    rows = min(same + 1, n)
    la = a["logits"][:rows].astype(np.float64)
    lb = b["logits"][:rows].astype(np.float64)
    ident_rows = int(sum(np.array_equal(a["logits"][i].view("<u4"), b["logits"][i].view("<u4")) for i in range(rows)))
    diff = np.abs(la - lb)
    amax_b = lb.argmax(axis=1)
    tok = a["gen"][:rows]
    rej = np.nonzero(amax_b != tok)[0]
    # how far below the checker's best logit the producer's token was (0 = accepted)
    deficit = lb.max(axis=1) - lb[np.arange(rows), tok] if rows else np.zeros(0)
    gaps = []
    for i in rej:
        s = np.sort(lb[i])
        gaps.append(float(s[-1] - s[-2]))
    # top-2 gap of A at every row (how close the producer's own choices were)
    sa = np.sort(la, axis=1)
    gap_a = sa[:, -1] - sa[:, -2]
    return dict(
        rows=int(rows), tokens_a=int(len(a["gen"])), tokens_b=int(len(b["gen"])), same_tokens=int(same),
        bit_identical=bool(ident_rows == rows), identical_rows=ident_rows,
        max_abs_diff=float(diff.max()) if rows else 0.0,
        mean_abs_diff=float(diff.mean()) if rows else 0.0,
        argmax_rejections=int(len(rej)), rejected_positions=[int(i) for i in rej],
        min_gap_at_rejections=min(gaps) if gaps else None,
        max_gap_at_rejections=max(gaps) if gaps else None,
        max_deficit=float(deficit.max()) if rows else 0.0,
        p99_abs_diff=float(np.quantile(diff, 0.99)) if rows else 0.0,
        min_top2_gap_a=float(gap_a.min()) if rows else None,
    )


def main():
    args = [x for x in sys.argv[1:] if not x.startswith("--")]
    if len(args) != 2:
        raise SystemExit(__doc__)
    r = compare(load(args[0]), load(args[1]))
    if "--json" in sys.argv:
        print(json.dumps(r))
        return
    for k, v in r.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
