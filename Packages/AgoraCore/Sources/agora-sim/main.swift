// agora-sim: runs the gossip scenarios of BENCHMARKS.md ("Gossip simulation") and prints
// their figures. Build with `-c release`. Usage:
//
//   agora-sim <scenario> [--nodes N] [--seed S] [--seconds T] [--loss P] [--trials K]
//                        [--cycles C] [--no-lifeguard] [--random-probes] [--ed25519] [--debug]
//                        [--no-stream-ping] [--stream-loss P] [--no-stale-answers] [--no-direct-retry] [--helpers K]
//                        [--last-chance N]
//                        [--min-suspicion S] [--coverage C]
//
// scenarios: crash, disseminate, false-positives, traffic, partitions, speed, determinism
import AgoraGossip
import AgoraSim
#if canImport(Glibc)
import Glibc
#endif

// Market scenarios: `agora-sim market …` and `agora-sim market-bench …` run and exit here.
Sim.runMarketCommandIfAsked()

struct Options {
    var scenario = "help"
    var nodes = 1000
    var seed: UInt64 = 1
    var seconds = 100.0
    var loss: Double?
    var trials = 20
    var lifeguard = true
    var aligned = true
    var ed25519 = false
    var cycles = 1000
    var debug = false
    var coverage = 0.9999
    var streamPing = true
    var staleAnswers = true
    var directRetry = true
    var lastChance: Int?
    var helpers: Int?
    var streamLoss = 0.0
    var minSuspicion: Double?

    init(_ args: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            return i < args.count ? args[i] : ""
        }
        while i < args.count {
            switch args[i] {
            case "--nodes": nodes = Int(value()) ?? nodes
            case "--seed": seed = UInt64(value()) ?? seed
            case "--seconds": seconds = Double(value()) ?? seconds
            case "--loss": loss = Double(value())
            case "--trials": trials = Int(value()) ?? trials
            case "--cycles": cycles = Int(value()) ?? cycles
            case "--coverage": coverage = Double(value()) ?? coverage
            case "--no-stream-ping": streamPing = false
            case "--no-stale-answers": staleAnswers = false
            case "--no-direct-retry": directRetry = false
            case "--last-chance": lastChance = Int(value())
            case "--helpers": helpers = Int(value())
            case "--stream-loss": streamLoss = Double(value()) ?? streamLoss
            case "--min-suspicion": minSuspicion = Double(value())
            case "--no-lifeguard": lifeguard = false
            case "--random-probes": aligned = false
            case "--ed25519": ed25519 = true
            case "--debug": debug = true
            case let s where !s.hasPrefix("--"): scenario = s
            default: print("unknown option \(args[i])")
            }
            i += 1
        }
    }

    func config(loss defaultLoss: Double = 0) -> Sim.Config {
        var settings = Gossip.Settings()
        settings.lifeguard = lifeguard
        settings.alignedProbeSchedule = aligned
        settings.streamPing = streamPing
        settings.answerStaleClaims = staleAnswers
        settings.directRetry = directRetry
        if let helpers { settings.indirectProbes = helpers }
        if let lastChance { settings.lastChanceProbes = lastChance }
        if let minSuspicion { settings.suspicionTimeout = .milliseconds(Int64(minSuspicion * 1000)) }
        var network = Sim.Network()
        network.loss = loss ?? defaultLoss
        network.streamPingLoss = streamLoss
        var c = Sim.Config(nodes: nodes, seed: seed, settings: settings, network: network)
        c.signatures = ed25519 ? .ed25519 : .trusted
        return c
    }

    var describe: String {
        "nodes=\(nodes) seed=\(seed) lifeguard=\(lifeguard) aligned=\(aligned) signatures=\(ed25519 ? "ed25519" : "trusted")"
            + " stream-ping=\(streamPing) stream-loss=\(streamLoss) stale-answers=\(staleAnswers) direct-retry=\(directRetry) helpers=\(helpers ?? 3)"
            + " last-chance=\(lastChance ?? 2)"
            + (minSuspicion.map { " min-suspicion=\($0)s" } ?? "")
    }
}

let clock = ContinuousClock()
let options = Options(Array(CommandLine.arguments.dropFirst()))

/// CPU seconds (user + system) this process has used.
func cpuSeconds() -> Double {
    #if canImport(Glibc)
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    #else
    return 0
    #endif
}

func timed(_ body: () throws -> Void) rethrows {
    let start = clock.now
    let cpu = cpuSeconds()
    try body()
    let wall = clock.now - start
    print("wall time: \(wall)  cpu time: \(((cpuSeconds() - cpu) * 1000).rounded() / 1000) s")
}

do {
    switch options.scenario {
    case "crash":
        let c = options.config()
        print("crash detection: \(options.describe) loss=\(c.network.loss) batches=\(options.trials)×5")
        try timed {
            let r = try Sim.crashDetection(c, batches: options.trials, perBatch: 5)
            print("first suspicion (s):       \(r.firstSuspicion)")
            print("dead cluster-wide (s):     \(r.clusterDead)")
            print("dead per observer (s):     \(r.observerDead)")
            print("undetected: \(r.undetected)  false dead events: \(r.falseDead)  trace: \(r.traceHash)")
        }
    case "disseminate":
        let c = options.config(loss: 0.2)
        print("dissemination: \(options.describe) loss=\(c.network.loss) trials=\(options.trials)")
        try timed {
            let r = try Sim.dissemination(c, trials: options.trials, coverage: options.coverage)
            print("time to \(r.coverage * 100)% (s): \(r.timeToCoverage)  incomplete: \(r.incomplete)  trace: \(r.traceHash)")
            print("share reached by the end of each 4 s trial: \(r.finalCoverage.map(fmt))")
        }
    case "false-positives":
        let c = options.config(loss: 0.1)
        print("false positives: \(options.describe) loss=\(c.network.loss) seconds=\(options.seconds) stalled=5% for 1–2 s")
        try timed {
            let r = try Sim.falsePositives(c, seconds: options.seconds, debug: options.debug)
            print("false dead events: \(r.falseDeadEvents) (incidents \(r.falseDeadIncidents)) over \(r.memberPeriods) member-periods"
                  + " = \(r.perMillion) per 10^6; suspect events: \(r.suspectEvents); stalls: \(r.stalls); trace: \(r.traceHash)")
        }
    case "traffic":
        let c = options.config()
        print("steady traffic: \(options.describe) loss=\(c.network.loss) seconds=\(options.seconds)")
        try timed {
            let r = try Sim.traffic(c, seconds: options.seconds)
            func kbit(_ bytesPerSecond: Double) -> String { fmt(bytesPerSecond * 8 / 1000) }
            print("datagrams sent per node (kbit/s):          p50=\(kbit(r.datagramSent.percentile(50))) max=\(kbit(r.datagramSent.max))")
            print("datagrams sent+received per node (kbit/s): p50=\(kbit(r.datagramTotal.percentile(50))) max=\(kbit(r.datagramTotal.max))")
            print("push-pull sent+received per node, measured (kbit/s): \(kbit(r.streamTotalMean))")
            print("push-pull state \(r.pushPullStateBytes) B, period \(r.pushPullPeriod) s -> steady sent+received \(kbit(r.streamSteady)) kbit/s")
            print("total steady sent+received per node (kbit/s): \(kbit(r.datagramTotal.mean + r.streamSteady))  events: \(r.events)")
        }
    case "partitions":
        var c = options.config()
        c.settings.deadRetention = .seconds(5)
        c.settings.pushPullInterval = .seconds(5)
        c.settings.reconnectInterval = .seconds(3)
        print("partition/heal: \(options.describe) cycles=\(options.cycles) deadRetention=5s pushPull=5s reconnect=3s")
        try timed {
            let r = try Sim.partitions(c, cycles: options.cycles, debug: options.debug)
            print("resurrections: \(r.resurrections)  late newer records of crashed nodes: \(r.lateRecords)  crashes: \(r.crashes)  dead events: \(r.deadEvents)"
                  + "  cycles not converged at end: \(r.unconverged)/\(r.cycles)  trace: \(r.traceHash)")
        }
    case "speed":
        let c = options.config()
        print("speed: \(options.describe) simulated seconds=\(options.seconds)")
        try timed {
            let r = try Sim.traffic(c, seconds: options.seconds, warmup: 0)
            print("events: \(r.events)")
        }
    case "determinism":
        var c = options.config(loss: 0.1)
        c.nodes = min(options.nodes, 200)
        print("determinism: two runs with seed \(c.seed), one with seed \(c.seed + 1) (N=\(c.nodes), 10% loss, stalls)")
        let a = try Sim.falsePositives(c, seconds: 20).traceHash
        let b = try Sim.falsePositives(c, seconds: 20).traceHash
        c.seed += 1
        let d = try Sim.falsePositives(c, seconds: 20).traceHash
        print("trace hashes: \(a) \(b) | other seed: \(d) -> \(a == b && a != d ? "deterministic" : "NOT deterministic")")
    default:
        print("usage: agora-sim crash|disseminate|false-positives|traffic|partitions|speed|determinism [options]")
    }
} catch {
    print("error: \(error)")
}
