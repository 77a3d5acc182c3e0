import AgoraCrypto
import AgoraLedger
import AgoraMarket

/// What the ledgers of a chaos run say, read after it from every node's ledger: payments,
/// checks and the results of byzantine nodes. Pure: entries in, counts out.
public struct ChaosLedgerFacts: Sendable, Equatable {
    /// Jobs (requester, job id) paid more than once.
    public var paidTwice = 0
    /// Failing attestations by honest validators against honest providers.
    public var falseRejections = 0
    /// Failing attestations by byzantine validators against honest providers (lies the
    /// market must outvote: they are not false rejections of honest validators).
    public var byzantineAccusations = 0
    /// Results in byzantine nodes' ledgers, of jobs that honest nodes requested (the users'
    /// jobs; a byzantine requester's own jobs are counted apart, in `attackerJobLies`).
    public var byzantineResults = 0
    /// Byzantine results of jobs a byzantine requester (the flooder) asked for, and how many
    /// of them were caught: reported, not held to the guarantees (the requester is an attacker,
    /// and may have asked only byzantine validators).
    public var attackerJobLies = 0
    public var attackerJobLiesCaught = 0
    /// Of those, results caught: an honest validator's failing attestation names it, or its
    /// (honest) requester's own ledger holds a `failedVerification` receipt for it (the
    /// requester confirmed the failure with a second validator; that validator may itself be a
    /// byzantine node whose checks are honest, which this count does not take on its word).
    public var byzantineDetected = 0
    /// Of those, results some requester paid.
    public var byzantinePaid = 0
    /// The paid ones, described like `uncaught` (at most 10), for the report.
    public var paidByzantine: [String] = []
    /// Results in honest providers' ledgers that no receipt paid (work a killed requester or
    /// a re-award left behind; reported, not a failure).
    public var unpaidResults = 0
    /// Byzantine results not caught, each as "job <id> by <provider>, <what its requester's
    /// ledger says of the job>, <who failed it>" (at most 10), for the report.
    public var uncaught: [String] = []
    /// Entries read.
    public var entries = 0
    /// Entries that did not decode (should be 0).
    public var undecodable = 0

    private struct ResultKey: Hashable {
        let requester: PublicKey
        let job: Market.JobID
        let provider: PublicKey
    }

    private struct JobKey: Hashable {
        let requester: PublicKey
        let job: Market.JobID
    }

    /// Counts the facts of `ledgers` (each node's entries, by its id); `byzantine` are the
    /// lying nodes, `attackers` the byzantine nodes whose results are honest (their failing
    /// attestations are lies too), `honest` the honest providers. `honestCheckers` are the
    /// byzantine nodes that lie only about their own results and check others' with the
    /// unmodified code and the right model: their attestations count as an honest validator's.
    public init(ledgers: [PublicKey: [LedgerEntry]], byzantine: Set<PublicKey>, honest: Set<PublicKey>,
                attackers: Set<PublicKey> = [], honestCheckers: Set<PublicKey> = []) {
        var results: [ResultKey: Bool] = [:]   // → produced by a byzantine node
        var paid: [JobKey: Int] = [:]
        var paidResults: Set<ResultKey> = []
        var receiptsByJob: [JobKey: [String]] = [:]
        var failed: Set<ResultKey> = []
        var caughtByRequester: Set<ResultKey> = []
        var failers: [ResultKey: [String]] = [:]
        var passers: [ResultKey: [String]] = [:]
        for (_, entries) in ledgers {
            for e in entries {
                self.entries += 1
                switch e.kind {
                case .result:
                    guard let r = try? Market.ResultRecord(wireBytes: e.body) else { undecodable += 1; continue }
                    results[ResultKey(requester: r.requester, job: r.jobID, provider: r.provider)] = byzantine.contains(e.ledgerID)
                case .receipt:
                    guard let r = try? Market.Receipt(wireBytes: e.body) else { undecodable += 1; continue }
                    receiptsByJob[JobKey(requester: r.requester, job: r.jobID), default: []].append("\(r.outcome) to \(r.provider.short)")
                    if r.outcome == .failedVerification, e.ledgerID == r.requester, !byzantine.contains(r.requester),
                       !attackers.contains(r.requester) {
                        caughtByRequester.insert(ResultKey(requester: r.requester, job: r.jobID, provider: r.provider))
                    }
                    guard r.outcome == .paid, r.provider != r.requester else { continue }
                    paid[JobKey(requester: r.requester, job: r.jobID), default: 0] += 1
                    paidResults.insert(ResultKey(requester: r.requester, job: r.jobID, provider: r.provider))
                case .attestation:
                    guard let a = try? Market.Attestation(wireBytes: e.body) else { undecodable += 1; continue }
                    let key = ResultKey(requester: a.requester, job: a.jobID, provider: a.provider)
                    let lying = (byzantine.contains(e.ledgerID) || attackers.contains(e.ledgerID)) && !honestCheckers.contains(e.ledgerID)
                    let who = e.ledgerID.short + (lying ? " (byzantine)" : honestCheckers.contains(e.ledgerID) ? " (byzantine provider, honest checker)" : "")
                    guard !a.verdict.passed else { passers[key, default: []].append(who); continue }
                    failers[key, default: []].append(who)
                    if lying {
                        if honest.contains(a.provider) { byzantineAccusations += 1 }
                        continue
                    }
                    if honest.contains(a.provider), !failed.contains(key) { falseRejections += 1 }
                    failed.insert(key)
                case .evidence:
                    continue
                }
            }
        }
        paidTwice = paid.values.filter { $0 > 1 }.count
        for (key, isByzantine) in results {
            if isByzantine, byzantine.contains(key.requester) || attackers.contains(key.requester) {
                attackerJobLies += 1
                if failed.contains(key) || caughtByRequester.contains(key) { attackerJobLiesCaught += 1 }
            } else if isByzantine {
                byzantineResults += 1
                if failed.contains(key) || caughtByRequester.contains(key) {
                    byzantineDetected += 1
                } else if uncaught.count < 10 {
                    let said = receiptsByJob[JobKey(requester: key.requester, job: key.job)]?.joined(separator: ", ") ?? "no receipt"
                    let by = failers[key].map { "failed by " + $0.joined(separator: ", ") } ?? "failed by nobody"
                    uncaught.append("job \(key.job) by \(key.provider.short) for \(key.requester.short): \(said); \(by)")
                }
                if paidResults.contains(key) {
                    byzantinePaid += 1
                    if paidByzantine.count < 10 {
                        let said = receiptsByJob[JobKey(requester: key.requester, job: key.job)]?.joined(separator: ", ") ?? "no receipt"
                        paidByzantine.append("job \(key.job) by \(key.provider.short) for \(key.requester.short): \(said); failed by "
                                             + (failers[key]?.joined(separator: ", ") ?? "nobody") + "; passed by "
                                             + (passers[key]?.joined(separator: ", ") ?? "nobody"))
                    }
                }
            } else if honest.contains(key.provider), !paidResults.contains(key), key.requester != key.provider {
                unpaidResults += 1
            }
        }
    }
}
