#!/usr/bin/env python3
"""Runs the cross-class matrix: every class generates every prompt of prompts.tsv, every
class checks every producer's generation, and compare.py scores each (producer, checker).

  run-matrix.py [--classes native,avx512,avx2,scalar,aarch64] [--limit CLASS=N ...]
                [--jobs 2] [--out DIR] [--prompts FILE] [--range A:B]
                [--reuse-identical-on CLASS,...]

Prompts: lines of "tokens<TAB>prompt" (prompts.tsv), optionally "<TAB>temperature<TAB>seed"
for seeded temp + dist sampling (`agora-executor-bench cross-class harness-prompts` writes the
executor's request mix so). --range A:B runs
prompts A..B-1 only (a run may be split; its parts add up). With --reuse-identical-on, a
checker of that list (the slow, emulated ones) checks a generation that is byte-identical
(tokens and logits) to an earlier class's generation of the same prompt only once: the other
producer's row reuses that check (a check is a deterministic function of its input file) and
says so (`reused_from` in results.jsonl, counted in the table).

Binaries: $AGORA_CACHE/classes/<class>/bin/xclass (scripts/build-classes). Everything runs
under nice -n 19, one thread per process. Results: DIR/results.jsonl, DIR/table.md.
"""
import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import compare, load  # noqa: E402

CACHE = os.environ.get("AGORA_CACHE", os.path.expanduser("~/.cache/agora"))
HERE = os.path.dirname(os.path.abspath(__file__))


def model_path():
    m = os.environ.get("AGORA_MODEL")
    if m:
        return m
    for line in open(os.path.join(CACHE, "env")):
        if "AGORA_MODEL=" in line:
            return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("AGORA_MODEL not set")


def run(args, want_stderr=False):
    t = time.time()
    p = subprocess.run(["nice", "-n", "19"] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr[-500:]}")
    return (time.time() - t, p.stderr) if want_stderr else time.time() - t


def check_mismatches(f):
    """The harness check's own verdict (greedy: arg-max; sampled: the sampler replayed on the
    checker's logits): positions whose token it would not have produced, kept beside the file."""
    return int(open(f + ".mismatches").read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", default="native,avx512,avx2,scalar,aarch64")
    ap.add_argument("--limit", action="append", default=[], help="CLASS=N: only the first N prompts for CLASS")
    ap.add_argument("--only", action="append", default=[], help="CLASS=i,j,...: only these prompt indices for CLASS")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(CACHE, "xclass-runs"))
    ap.add_argument("--prompts", default=os.path.join(HERE, "prompts.tsv"))
    ap.add_argument("--range", default=None, help="A:B: prompts A..B-1 only")
    ap.add_argument("--reuse-identical-on", default="", help="checkers that check identical generations once")
    a = ap.parse_args()
    classes = a.classes.split(",")
    limits = {k: int(v) for k, v in (x.split("=") for x in a.limit)}
    prompts = []
    for line in open(a.prompts):
        cols = line.rstrip("\n").split("\t")
        temp, seed = (float(cols[2]), int(cols[3])) if len(cols) >= 4 else (0.0, 0)
        prompts.append((int(cols[0]), cols[1].encode().decode("unicode_escape"), temp, seed))
    reuse_on = set(filter(None, a.reuse_identical_on.split(",")))
    M = model_path()
    xb = {c: os.path.join(CACHE, "classes", c, "bin", "xclass") for c in classes}
    for c, b in xb.items():
        if not os.path.exists(b):
            raise SystemExit(f"no binary for class {c}: run scripts/build-classes {c}")
    nprom = {c: min(len(prompts), limits.get(c, len(prompts))) for c in classes}
    only = {k: [int(i) for i in v.split(",")] for k, v in (x.split("=") for x in a.only)}
    pidx = {c: only.get(c, list(range(nprom[c]))) for c in classes}
    if a.range:
        lo, hi = (int(x) for x in a.range.split(":"))
        pidx = {c: [i for i in v if lo <= i < hi] for c, v in pidx.items()}
    os.makedirs(a.out, exist_ok=True)
    gen = lambda c, i: os.path.join(a.out, "gen", c, f"{i:02d}.bin")
    chk = lambda c, p, i: os.path.join(a.out, "chk", f"{c}-of-{p}", f"{i:02d}.bin")
    timing = {}

    def do_gen(c, i):
        f = gen(c, i)
        if os.path.exists(f):
            return
        os.makedirs(os.path.dirname(f), exist_ok=True)
        n, p, temp, seed = prompts[i]
        sampling = ["--temp", str(temp), "--seed", str(seed)] if temp > 0 else []
        dt = run([xb[c], "generate", "--model", M, "--prompt", p, "--n", str(n), "--out", f + ".tmp"] + sampling)
        os.replace(f + ".tmp", f)
        timing.setdefault(("gen", c), []).append(dt)

    def do_chk(c, p, i):
        f = chk(c, p, i)
        if not os.path.exists(f):
            os.makedirs(os.path.dirname(f), exist_ok=True)
            dt, err = run([xb[c], "check", "--model", M, "--in", gen(p, i), "--out", f + ".tmp"], want_stderr=True)
            m = re.search(r"mismatches (\d+)", err)
            if not m:
                raise RuntimeError(f"no verdict in the check's output: {err[-300:]}")
            open(f + ".mismatches", "w").write(m.group(1))
            os.replace(f + ".tmp", f)
            timing.setdefault(("chk", c), []).append(dt)
        r = compare(load(gen(p, i)), load(f))
        r.update(producer=p, checker=c, prompt=i, greedy=prompts[i][2] == 0, check_mismatches=check_mismatches(f))
        return r

    with cf.ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(lambda ci: do_gen(*ci), [(c, i) for c in classes for i in pidx[c]]))
        print("generation done", file=sys.stderr)
        jobs = [(c, p, i) for p in classes for c in classes for i in sorted(set(pidx[p]) & set(pidx[c]))]
        same = {}   # (checker, producer, prompt) → an earlier producer whose generation is the same bytes
        job_set = set(jobs)
        for c, p, i in jobs:
            if c in reuse_on:
                mine = open(gen(p, i), "rb").read()
                for q in classes[:classes.index(p)]:
                    if (c, q, i) in job_set and (c, q, i) not in same and open(gen(q, i), "rb").read() == mine:
                        same[(c, p, i)] = q
                        break
        results = list(ex.map(lambda x: do_chk(*x), [j for j in jobs if j not in same]))
        for (c, p, i), q in same.items():
            r = compare(load(gen(p, i)), load(chk(c, q, i)))
            r.update(producer=p, checker=c, prompt=i, greedy=prompts[i][2] == 0, reused_from=q,
                     check_mismatches=check_mismatches(chk(c, q, i)))
            results.append(r)
    # generate-vs-generate: do two producers emit the same tokens?
    gg = []
    for p in classes:
        for q in classes:
            if p < q:
                for i in sorted(set(pidx[p]) & set(pidx[q])):
                    r = compare(load(gen(p, i)), load(gen(q, i)))
                    r.update(producer=p, checker=q, prompt=i, kind="gen-vs-gen")
                    gg.append(r)
    with open(os.path.join(a.out, "results.jsonl"), "w") as f:
        for r in results + gg:
            f.write(json.dumps(r) + "\n")
    for k, v in sorted(timing.items()):
        print(f"timing {k[0]} {k[1]}: {len(v)} runs, mean {sum(v)/len(v):.2f} s", file=sys.stderr)
    # table
    lines = ["| producer \\ checker | " + " | ".join(classes) + " |", "|---" * (len(classes) + 1) + "|"]
    # The last two columns are arg-max figures (compare.py): greedy prompts only.
    detail = ["| producer | checker | prompts | positions | bit-identical prompts | max abs diff | p99 abs diff | rejected positions | rejected prompts | top-2 gap at greedy rejections (min / max) | max deficit of producer's token (greedy) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in classes:
        cells = []
        for c in classes:
            rs = [r for r in results if r["producer"] == p and r["checker"] == c]
            pos = sum(r["rows"] for r in rs)
            ident = sum(r["bit_identical"] for r in rs)
            mx = max(r["max_abs_diff"] for r in rs)
            # the harness check's verdict (sampled prompts: the sampler replayed); compare.py's
            # arg-max count only means something for greedy prompts
            rej = sum(r["check_mismatches"] for r in rs)
            rejp = sum(r["check_mismatches"] > 0 for r in rs)
            greedy = [r for r in rs if r.get("greedy", True)]
            gaps = [r["min_gap_at_rejections"] for r in greedy if r["min_gap_at_rejections"] is not None]
            gmax = [r["max_gap_at_rejections"] for r in greedy if r["max_gap_at_rejections"] is not None]
            p99 = max(r["p99_abs_diff"] for r in rs)
            dmax = f'{max(r["max_deficit"] for r in greedy):.3g}' if greedy else "-"
            reused = sum(1 for r in rs if r.get("reused_from"))
            cells.append(f"{ident}/{len(rs)} id, {rej} rej ({rejp} jobs), max {mx:.3g}" + (f" ({reused} reused)" if reused else ""))
            detail.append(f"| {p} | {c} | {len(rs)} | {pos} | {ident} | {mx:.4g} | {p99:.3g} | {rej} | {rejp} | {min(gaps):.3g} / {max(gmax):.3g} | {dmax} |" if gaps else
                          f"| {p} | {c} | {len(rs)} | {pos} | {ident} | {mx:.4g} | {p99:.3g} | {rej} | {rejp} | - | {dmax} |")
        lines.append(f"| **{p}** | " + " | ".join(cells) + " |")
    gl = ["| producer A | producer B | prompts | identical generations | first differing token (median over differing) |", "|---|---|---|---|---|"]
    for p in classes:
        for q in classes:
            if p < q:
                rs = [r for r in gg if r["producer"] == p and r["checker"] == q]
                same = [r for r in rs if r["same_tokens"] == r["tokens_a"] == r["tokens_b"]]
                firsts = sorted(r["same_tokens"] for r in rs if r not in same)
                med = firsts[len(firsts) // 2] if firsts else "-"
                gl.append(f"| {p} | {q} | {len(rs)} | {len(same)} | {med} |")
    out = "\n".join(lines) + "\n\n" + "\n".join(detail) + "\n\n" + "\n".join(gl) + "\n"
    open(os.path.join(a.out, "table.md"), "w").write(out)
    print(out)


if __name__ == "__main__":
    main()
