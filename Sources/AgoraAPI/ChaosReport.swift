import Foundation

/// The result of `agora testnet chaos`: what the clients got, what the ledgers say, how fast
/// the dead and the liars were found. `problems` names every breach of the guarantees; the
/// command exits non-zero when there is one.
public struct ChaosReport: Codable, Sendable, Equatable {
    public var nodes: Int
    public var submitted: Int
    /// Answered 200 (after retries across gateways where a gateway failed).
    public var served: Int
    /// Served with the verification the testnet asks for (`attested-pass` at level ≥ 1).
    public var verified: Int
    /// Served answers by their `agora.verification`.
    public var verifications: [String: Int]
    /// Requests that needed more than one attempt.
    public var retried: Int
    /// Requests never served, by the last failure seen.
    public var failed: [String: Int]
    /// Requests never served.
    public var lost: Int
    public var paidTwice: Int
    public var falseRejections: Int
    /// Honest providers whose reputation in some honest node's view fell by more than 0.05.
    public var honestPenalised: Int
    public var byzantineResults: Int
    public var byzantineDetected: Int
    /// Byzantine results some requester paid.
    public var byzantinePaid: Int
    /// Served answers that came from a byzantine node.
    public var byzantineDelivered: Int
    /// Byzantine nodes every honest node excludes (reputation below 0.3) at the end.
    public var byzantineExcluded: Int
    public var byzantineNodes: Int
    /// Longest time from a byzantine node's first result for an honest requester (its first
    /// lie to a user; the flooding attacker's own jobs do not count: it may buy lies on
    /// purpose) until every honest node excluded it (reputation below 0.3), as the watch saw
    /// it (every 0.5 s).
    public var exclusionSecondsMax: Double?
    /// Per SIGKILL: seconds until every other running node held the node dead.
    public var deadDetectionSeconds: [Double]
    public var deadDetectionSecondsP99: Double?
    /// Ledgers that `agora ledger verify` accepted after the run.
    public var ledgersVerified: Int
    /// Results no receipt paid (a late result of a job re-awarded after a stall, or a
    /// killed requester's job not settled at its restart).
    public var unpaidResults: Int
    /// Failing attestations byzantine validators gave honest providers' results (lies the
    /// market outvotes; counted apart from `falseRejections`, which are honest validators').
    public var byzantineAccusations = 0
    /// Byzantine results in jobs of byzantine requesters, and how many were caught (not held
    /// to the guarantees: `ChaosLedgerFacts.attackerJobLies`).
    public var attackerJobLies = 0
    public var attackerJobLiesCaught = 0
    /// Nodes that attack the protocol around honest results (a false speed, replays and
    /// forgeries, a flood of requests), by mode: the answers each served (honest results,
    /// delivered like any other).
    public var attackers: [String: Int] = [:]
    /// The faults applied, in words, and those skipped.
    public var faults: [String]
    public var wallSeconds: Double

    enum CodingKeys: String, CodingKey {
        case nodes, submitted, served, verified, verifications, retried, failed, lost
        case paidTwice = "paid_twice", falseRejections = "false_rejections", honestPenalised = "honest_penalised"
        case byzantineResults = "byzantine_results", byzantineDetected = "byzantine_detected", byzantinePaid = "byzantine_paid"
        case byzantineDelivered = "byzantine_delivered", byzantineExcluded = "byzantine_excluded", byzantineNodes = "byzantine_nodes"
        case exclusionSecondsMax = "exclusion_s_max", deadDetectionSeconds = "dead_detection_s"
        case deadDetectionSecondsP99 = "dead_detection_s_p99", ledgersVerified = "ledgers_verified"
        case unpaidResults = "unpaid_results", byzantineAccusations = "byzantine_accusations", attackers, faults,
             attackerJobLies = "attacker_job_lies", attackerJobLiesCaught = "attacker_job_lies_caught", wallSeconds = "wall_s", problems
    }

    /// A report; `problems` is derived.
    public init(nodes: Int, submitted: Int, served: Int, verified: Int, verifications: [String: Int], retried: Int,
                failed: [String: Int], paidTwice: Int, falseRejections: Int, honestPenalised: Int, byzantineResults: Int,
                byzantineDetected: Int, byzantinePaid: Int, byzantineDelivered: Int, byzantineExcluded: Int, byzantineNodes: Int,
                exclusionSecondsMax: Double?, deadDetectionSeconds: [Double], ledgersVerified: Int, unpaidResults: Int,
                faults: [String], wallSeconds: Double) {
        self.nodes = nodes; self.submitted = submitted; self.served = served; self.verified = verified
        self.verifications = verifications; self.retried = retried; self.failed = failed; self.lost = submitted - served
        self.paidTwice = paidTwice; self.falseRejections = falseRejections; self.honestPenalised = honestPenalised
        self.byzantineResults = byzantineResults; self.byzantineDetected = byzantineDetected; self.byzantinePaid = byzantinePaid
        self.byzantineDelivered = byzantineDelivered; self.byzantineExcluded = byzantineExcluded; self.byzantineNodes = byzantineNodes
        self.exclusionSecondsMax = exclusionSecondsMax; self.deadDetectionSeconds = deadDetectionSeconds
        self.deadDetectionSecondsP99 = PercentileSummary.percentile(99, ofSorted: deadDetectionSeconds.sorted())
        self.ledgersVerified = ledgersVerified; self.unpaidResults = unpaidResults; self.faults = faults
        self.wallSeconds = wallSeconds
    }

    /// Every breach of the guarantees, in words (empty: the run held them all).
    public var problems: [String] {
        var p: [String] = []
        if lost > 0 { p.append("\(lost) of \(submitted) requests were never served") }
        if paidTwice > 0 { p.append("\(paidTwice) jobs were paid twice") }
        if falseRejections > 0 { p.append("\(falseRejections) honest results failed a check") }
        if honestPenalised > 0 { p.append("\(honestPenalised) honest providers lost standing") }
        if byzantineDelivered > 0 { p.append("\(byzantineDelivered) answers from byzantine nodes reached clients") }
        if byzantinePaid > 0 { p.append("\(byzantinePaid) byzantine results were paid") }
        if byzantineResults > byzantineDetected {
            p.append("\(byzantineResults - byzantineDetected) of \(byzantineResults) byzantine results were not caught by a check")
        }
        if byzantineExcluded < byzantineNodes, byzantineResults > 0 {
            p.append("\(byzantineNodes - byzantineExcluded) of \(byzantineNodes) byzantine nodes are not excluded everywhere")
        }
        if ledgersVerified < nodes { p.append("\(nodes - ledgersVerified) of \(nodes) ledgers failed `agora ledger verify`") }
        return p
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nodes, forKey: .nodes); try c.encode(submitted, forKey: .submitted); try c.encode(served, forKey: .served)
        try c.encode(verified, forKey: .verified); try c.encode(verifications, forKey: .verifications)
        try c.encode(retried, forKey: .retried); try c.encode(failed, forKey: .failed); try c.encode(lost, forKey: .lost)
        try c.encode(paidTwice, forKey: .paidTwice); try c.encode(falseRejections, forKey: .falseRejections)
        try c.encode(honestPenalised, forKey: .honestPenalised); try c.encode(byzantineResults, forKey: .byzantineResults)
        try c.encode(byzantineDetected, forKey: .byzantineDetected); try c.encode(byzantinePaid, forKey: .byzantinePaid)
        try c.encode(byzantineDelivered, forKey: .byzantineDelivered); try c.encode(byzantineExcluded, forKey: .byzantineExcluded)
        try c.encode(byzantineNodes, forKey: .byzantineNodes)
        try c.encode(exclusionSecondsMax, forKey: .exclusionSecondsMax)
        try c.encode(deadDetectionSeconds, forKey: .deadDetectionSeconds)
        try c.encode(deadDetectionSecondsP99, forKey: .deadDetectionSecondsP99)
        try c.encode(ledgersVerified, forKey: .ledgersVerified); try c.encode(unpaidResults, forKey: .unpaidResults)
        try c.encode(attackers, forKey: .attackers); try c.encode(byzantineAccusations, forKey: .byzantineAccusations)
        try c.encode(attackerJobLies, forKey: .attackerJobLies); try c.encode(attackerJobLiesCaught, forKey: .attackerJobLiesCaught)
        try c.encode(faults, forKey: .faults); try c.encode(wallSeconds, forKey: .wallSeconds)
        try c.encode(problems, forKey: .problems)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(nodes: try c.decode(Int.self, forKey: .nodes), submitted: try c.decode(Int.self, forKey: .submitted),
                  served: try c.decode(Int.self, forKey: .served), verified: try c.decode(Int.self, forKey: .verified),
                  verifications: try c.decode([String: Int].self, forKey: .verifications), retried: try c.decode(Int.self, forKey: .retried),
                  failed: try c.decode([String: Int].self, forKey: .failed), paidTwice: try c.decode(Int.self, forKey: .paidTwice),
                  falseRejections: try c.decode(Int.self, forKey: .falseRejections),
                  honestPenalised: try c.decode(Int.self, forKey: .honestPenalised),
                  byzantineResults: try c.decode(Int.self, forKey: .byzantineResults),
                  byzantineDetected: try c.decode(Int.self, forKey: .byzantineDetected),
                  byzantinePaid: try c.decode(Int.self, forKey: .byzantinePaid),
                  byzantineDelivered: try c.decode(Int.self, forKey: .byzantineDelivered),
                  byzantineExcluded: try c.decode(Int.self, forKey: .byzantineExcluded),
                  byzantineNodes: try c.decode(Int.self, forKey: .byzantineNodes),
                  exclusionSecondsMax: try c.decodeIfPresent(Double.self, forKey: .exclusionSecondsMax),
                  deadDetectionSeconds: try c.decode([Double].self, forKey: .deadDetectionSeconds),
                  ledgersVerified: try c.decode(Int.self, forKey: .ledgersVerified),
                  unpaidResults: try c.decode(Int.self, forKey: .unpaidResults),
                  faults: try c.decode([String].self, forKey: .faults), wallSeconds: try c.decode(Double.self, forKey: .wallSeconds))
        attackers = try c.decodeIfPresent([String: Int].self, forKey: .attackers) ?? [:]
        byzantineAccusations = try c.decodeIfPresent(Int.self, forKey: .byzantineAccusations) ?? 0
        attackerJobLies = try c.decodeIfPresent(Int.self, forKey: .attackerJobLies) ?? 0
        attackerJobLiesCaught = try c.decodeIfPresent(Int.self, forKey: .attackerJobLiesCaught) ?? 0
    }

    /// The report as text.
    public func text() -> String {
        func s(_ x: Double?) -> String { x.map { String(format: "%.1f s", $0) } ?? "-" }
        var lines = [
            "chaos: \(nodes) nodes, \(submitted) requests in \(String(format: "%.0f", wallSeconds)) s",
            "  served \(served), verified \(verified) (\(verifications.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), retried \(retried), lost \(lost)"
                + (failed.isEmpty ? "" : " (last failures: \(failed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"),
            "  paid twice \(paidTwice), false rejections \(falseRejections), honest providers penalised \(honestPenalised), unpaid results \(unpaidResults)",
            "  byzantine: \(byzantineNodes) nodes, \(byzantineResults) results, \(byzantineDetected) caught, \(byzantinePaid) paid, \(byzantineDelivered) delivered, \(byzantineExcluded) excluded everywhere (slowest \(s(exclusionSecondsMax))), \(byzantineAccusations) failing attestations of honest results outvoted; in the flooder's own jobs \(attackerJobLies) more, \(attackerJobLiesCaught) caught",
            "  protocol attackers: " + (attackers.isEmpty ? "none"
                : attackers.sorted { $0.key < $1.key }.map { "\($0.key) (served \($0.value))" }.joined(separator: ", ")),
            "  dead detection: \(deadDetectionSeconds.map { String(format: "%.1f", $0) }.joined(separator: ", ")) s (p99 \(s(deadDetectionSecondsP99)))",
            "  ledgers verified \(ledgersVerified) of \(nodes)",
            "  faults:",
        ]
        lines += faults.map { "    \($0)" }
        let p = problems
        lines.append(p.isEmpty ? "OK: no request lost, nothing paid twice, no honest node rejected or penalised, every lie caught"
                               : "FAILED:\n" + p.map { "  - \($0)" }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }
}
