/// The dashboard: one plain HTML + JavaScript page, no build step. It polls the node API
/// every two seconds and shows peers, jobs, ledger checkpoints and attestations.
enum Dashboard {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Agora node</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  .sub { color: #5b6474; margin-bottom: 1rem; } code { font: 12px ui-monospace, monospace; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0001; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e6e8ec; vertical-align: top; }
  th { background: #eef0f4; font-weight: 600; font-size: 12px; text-transform: uppercase; color: #4a5263; }
  .alive, .pass, .completed, .paid, .proof-verified, .attested-pass { color: #137333; font-weight: 600; }
  .suspect, .running, .awarded, .bidding, .pending { color: #b06000; font-weight: 600; }
  .dead, .left, .fail, .failed, .attestation-failed, .cancelled { color: #b3261e; font-weight: 600; }
  .cards { display: flex; gap: 1rem; flex-wrap: wrap; }
  .card { background: #fff; padding: .6rem 1rem; box-shadow: 0 1px 2px #0001; min-width: 8rem; }
  .card b { display: block; font-size: 1.3rem; }
  #err { color: #b3261e; }
</style>
</head>
<body>
<h1>Agora node <code id="self"></code></h1>
<div class="sub" id="sub">loading…</div>
<div class="cards">
  <div class="card">peers alive<b id="c-peers">–</b></div>
  <div class="card">jobs<b id="c-jobs">–</b></div>
  <div class="card">ledger size<b id="c-ledger">–</b></div>
  <div class="card">credits<b id="c-credits">–</b></div>
</div>
<div id="err"></div>
<h2>Peers</h2>
<table id="peers"><thead><tr><th>node</th><th>address</th><th>state</th><th>models</th><th>prefill tok/s</th><th>decode tok/s</th><th>price / 1k tok</th><th>queue</th><th>reputation</th></tr></thead><tbody></tbody></table>
<h2>Jobs</h2>
<table id="jobs"><thead><tr><th>job</th><th>role</th><th>state</th><th>provider</th><th>price</th><th>latency</th><th>verification</th><th>attempts</th></tr></thead><tbody></tbody></table>
<h2>Ledger</h2>
<div class="sub">checkpoint: <code id="checkpoint"></code></div>
<table id="ledger"><thead><tr><th>seq</th><th>kind</th><th>time</th><th>hash</th><th>summary</th></tr></thead><tbody></tbody></table>
<script>
const short = s => s ? s.slice(0, 8) : "–";
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
function rows(id, items, cells) {
  document.querySelector("#" + id + " tbody").innerHTML =
    items.map(x => "<tr>" + cells(x).map(c => "<td>" + c + "</td>").join("") + "</tr>").join("");
}
async function get(path) { const r = await fetch(path); if (!r.ok) throw new Error(path + ": " + r.status); return r.json(); }
async function refresh() {
  try {
    const [h, peers, jobs, ledger] = await Promise.all([get("/api/health"), get("/api/peers"), get("/api/jobs"), get("/api/ledger?limit=15")]);
    document.getElementById("self").textContent = short(h.node_id);
    document.getElementById("sub").textContent = h.address + " · models: " + (h.models.join(", ") || "none") + " · up " + Math.round(h.uptime_s) + " s";
    document.getElementById("c-peers").textContent = h.peers_alive;
    document.getElementById("c-jobs").textContent = jobs.length;
    document.getElementById("c-ledger").textContent = h.ledger_size;
    document.getElementById("c-credits").textContent = h.credits;
    rows("peers", peers, p => [
      "<code>" + short(p.node_id) + "</code>" + (p.self ? " (this node)" : ""), esc(p.address),
      "<span class='" + esc(p.state) + "'>" + esc(p.state) + "</span>",
      p.models.map(m => esc(m.name) + " <code>" + short(m.model_id) + "</code>").join("<br>"),
      p.prefill_tps.toFixed(0), p.decode_tps.toFixed(0), p.price_per_1k, p.queue_depth, p.reputation.toFixed(2)]);
    rows("jobs", jobs, j => [
      "<code>" + short(j.job_id) + "</code>", esc(j.role), "<span class='" + esc(j.state) + "'>" + esc(j.state) + "</span>",
      "<code>" + short(j.provider) + "</code>", j.price ?? "–", j.latency_ms != null ? j.latency_ms.toFixed(0) + " ms" : "–",
      "<span class='" + esc(j.verification) + "'>" + esc(j.verification) + "</span>", j.attempts]);
    document.getElementById("checkpoint").textContent = "size " + ledger.size + ", root " + short(ledger.root_hash);
    rows("ledger", ledger.entries, e => [e.seq, esc(e.kind), new Date(e.time_unix_ms).toLocaleTimeString(),
      "<code>" + short(e.hash) + "</code>", esc(e.summary)]);
    document.getElementById("err").textContent = "";
  } catch (e) { document.getElementById("err").textContent = "cannot reach the node: " + e.message; }
}
refresh(); setInterval(refresh, 2000);
</script>
</body>
</html>
"""#
}
