#!/usr/bin/env python3
"""Summarises run-matrix.py outputs for docs/repack.md: per run directory, the same-class
(diagonal) results and the generate-vs-generate bit identity between classes.

  repack-summary.py DIR...     (each DIR holds a results.jsonl of run-matrix.py)
"""
import json
import os
import sys
from collections import defaultdict

for d in sys.argv[1:]:
    rs = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
    cells = defaultdict(list)
    for r in rs:
        cells[(r.get("kind", "chk"), r["producer"], r["checker"])].append(r)
    print(f"## {os.path.basename(d.rstrip('/'))}")
    print("| kind | producer | checker | bit-identical prompts | positions | rejected positions (jobs) | max abs diff |")
    print("|---|---|---|---|---|---|---|")
    for (kind, p, c), v in sorted(cells.items()):
        if kind == "chk" and p != c:
            continue
        rej = sum(r["argmax_rejections"] for r in v) if kind == "chk" else "-"
        jobs = sum(r["argmax_rejections"] > 0 for r in v) if kind == "chk" else "-"
        print(f"| {'same-class' if kind == 'chk' else 'gen-vs-gen'} | {p} | {c} | {sum(r['bit_identical'] for r in v)}/{len(v)} | "
              f"{sum(r['rows'] for r in v)} | {rej} ({jobs}) | {max(r['max_abs_diff'] for r in v):.3g} |")
    print()
