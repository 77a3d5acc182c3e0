#!/usr/bin/env python3
"""Time the market adds to a job, measured in one invocation on a running testnet.

For each job submitted through node 0's API, the requester's journal records the
end-to-end latency (request, bids, award, sealing, execution, ledger append, proof,
receipt) and the provider's journal records the executor's own time for the same job.
Their difference is what the market adds. Usage:

    agora testnet up --config testnet/bench.json
    scripts/bench-market.py [--jobs 20] [--tokens 64] [--api http://127.0.0.1:8720]
"""
import argparse, json, statistics, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--jobs", type=int, default=20)
ap.add_argument("--tokens", type=int, default=64)
ap.add_argument("--api", default="http://127.0.0.1:8720")
ap.add_argument("--apis", default="http://127.0.0.1:8720,http://127.0.0.1:8721,http://127.0.0.1:8722")
a = ap.parse_args()

def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=600))

def get(url):
    return json.load(urllib.request.urlopen(url, timeout=60))

ids = []
for i in range(a.jobs):
    r = post(a.api + "/v1/chat/completions", {"messages": [{"role": "user", "content": f"Tell me a short story about the number {i}."}],
                                               "max_tokens": a.tokens, "temperature": 0})
    ids.append(r["agora"]["job_id"])

requester = {j["job_id"]: j for j in get(a.api + "/api/jobs") if j["role"] == "requester"}
provider = {}
for api in a.apis.split(","):
    for j in get(api + "/api/jobs"):
        if j["role"] == "provider" and j.get("latency_ms") is not None:
            provider[j["job_id"]] = j
overheads, ratios = [], []
for jid in ids:
    e2e, run = requester[jid]["latency_ms"], provider[jid]["latency_ms"]
    overheads.append(e2e - run)
    ratios.append((e2e - run) / run)
print(f"jobs: {len(ids)}, {a.tokens} tokens each")
print(f"executor time per job (median): {statistics.median(provider[j]['latency_ms'] for j in ids):.0f} ms")
print(f"market overhead per job: median {statistics.median(overheads):.1f} ms, "
      f"p90 {sorted(overheads)[int(0.9 * (len(overheads) - 1))]:.1f} ms, "
      f"median ratio {100 * statistics.median(ratios):.2f} % of executor time")
