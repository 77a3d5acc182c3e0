import AgoraMarket

extension Sim {
    /// The `agora-sim market …` command line: `market [--seed N] [--nodes N] [--jobs N]
    /// [--crash F] [--level L] [--spot-check F] [--cancel F] [--honest]` runs a scenario and prints its
    /// report; `market-bench [--jobs N] [--level L]` measures the pure-core overhead per
    /// job. Returns the process exit status (1 when an invariant is broken).
    public static func marketCommand(_ args: [String]) -> Int32 {
        var options: [String: String] = [:]
        var flags: Set<String> = []
        var k = 1
        while k < args.count {
            let a = args[k]
            if a == "--honest" { flags.insert(a); k += 1; continue }
            guard a.hasPrefix("--"), k + 1 < args.count else {
                print("agora-sim: unexpected argument \(a)")
                return 2
            }
            options[a] = args[k + 1]
            k += 2
        }
        func int(_ name: String, _ d: Int) -> Int { options[name].flatMap(Int.init) ?? d }
        func double(_ name: String, _ d: Double) -> Double { options[name].flatMap(Double.init) ?? d }

        if args.first == "market-bench" {
            let jobs = int("--jobs", 1_000)
            let level = UInt8(clamping: int("--level", 0))
            let r = marketOverheadBenchmark(jobs: jobs, level: level)
            print("market pure-core overhead, \(r.jobs) jobs of 64 tokens, verification level \(r.level):")
            print("  per job (all roles): median \(fmt(r.perJobMedianMicros)) µs, mean \(fmt(r.perJobMeanMicros)) µs")
            print("  baseline in this run: Ed25519 sign+verify \(fmt(r.signVerifyMicros)) µs; sealed box 1 KiB seal+open \(fmt(r.sealOpenMicros)) µs")
            print("  per job = \(fmt(r.medianRatio)) × one sign+verify (median of per-job ratios); \(fmt(r.messagesPerJob)) messages, \(fmt(r.bytesPerJob)) bytes")
            return 0
        }
        var s = MarketScenario(seed: UInt64(int("--seed", 1)))
        s.nodes = int("--nodes", s.nodes)
        s.jobs = int("--jobs", s.jobs)
        s.crashFraction = double("--crash", s.crashFraction)
        s.verificationLevel = UInt8(clamping: int("--level", Int(s.verificationLevel)))
        s.spotCheckRate = double("--spot-check", s.spotCheckRate)
        s.cancelFraction = double("--cancel", s.cancelFraction)
        if flags.contains("--honest") { s.cheaters = [] }
        let report = runMarket(s)
        print(report.text)
        let ok = report.allCompletedOnceAndPaidOnce && (s.verificationLevel == 0 || (report.unverifiedPaid == 0 && report.wrongOutputsPaid == 0))
        print(ok ? "invariants: OK" : "invariants: BROKEN")
        return ok ? 0 : 1
    }

    private static func fmt(_ v: Double) -> String {
        let scaled = (v * 10).rounded() / 10
        return String(describing: scaled)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Sim {
    /// If the process was started as `agora-sim market …` or `agora-sim market-bench …`,
    /// runs that command and exits; otherwise returns.
    public static func runMarketCommandIfAsked() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard let mode = args.first, mode == "market" || mode == "market-bench" else { return }
        exit(marketCommand(args))
    }
}
