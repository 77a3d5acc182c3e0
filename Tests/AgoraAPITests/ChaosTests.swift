import AgoraCrypto
import AgoraLedger
import AgoraMarket
import AgoraNode
import Foundation
import Testing
@testable import AgoraAPI

/// The chaos command's pure parts: plans (the shipped ones validate, bad ones are refused),
/// what the ledgers say (payments, false rejections, byzantine results caught or paid), and
/// the report's verdict.
@Suite struct ChaosTests {
    static var repository: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    static let modes = Set(Misbehaviour.allCases.map(\.rawValue))

    @Test(arguments: ["testnet/chaos.json", "testnet/chaos-ci.json"])
    func shippedPlansValidate(_ path: String) throws {
        let data = try Data(contentsOf: Self.repository.appendingPathComponent(path))
        let plan = try JSONDecoder().decode(ChaosPlan.self, from: data)
        try plan.validate(modes: Self.modes)
        #expect(plan.byzantineNodes.count >= 2)
        #expect(Set(plan.byzantineNodes.values).count == plan.byzantineNodes.count, "byzantine nodes of different kinds")
        #expect(plan.faults.contains { $0.kind == .kill && $0.node == 0 }, "the gateway is killed mid-run")
        #expect(plan.faults.contains { $0.kind == .stop } && plan.faults.contains { $0.kind == .partition })
    }

    @Test func badPlansAreRefusedWithTheReason() {
        let good = ChaosPlan(nodes: 6, jobs: 10, concurrency: 2, maxTokens: "8", seed: 1, gateways: [0], byzantine: ["5": "truncate"],
                             requestTimeout: 60, faults: [.init(kind: .kill, at: 1, node: 2, duration: 5)])
        #expect(throws: Never.self) { try good.validate(modes: Self.modes) }
        var p = good
        p.byzantine = ["0": "truncate"]
        #expect { try p.validate(modes: Self.modes) } throws: { "\($0)".contains("gateway") }
        p = good
        p.byzantine = ["5": "lie-a-lot"]
        #expect { try p.validate(modes: Self.modes) } throws: { "\($0)".contains("unknown mode") }
        p = good
        p.faults = [.init(kind: .stop, at: 1, node: 9, duration: 5)]
        #expect { try p.validate(modes: Self.modes) } throws: { "\($0)".contains("not in the testnet") }
        p = good
        p.faults = [.init(kind: .partition, at: 1, nodes: [2])]
        #expect { try p.validate(modes: Self.modes) } throws: { "\($0)".contains("duration") }
        p = good
        p.gateways = [1]
        #expect { try p.validate(modes: Self.modes) } throws: { "\($0)".contains("node 0 first") }
        p = good
        p.byzantine = ["2": "truncate", "3": "truncate", "4": "truncate", "5": "resample"]
        #expect { try p.validate(modes: Self.modes) } throws: { "\($0)".contains("two honest providers") }
    }

    // MARK: ledger facts

    let requester = Identity.generate(), honest = Identity.generate(), liar = Identity.generate(), validator = Identity.generate()
    let model = SHA256.hash(Array("model".utf8))

    func job(_ n: UInt8) -> Market.JobID { Market.JobID(bytes: [UInt8](repeating: n, count: 16))! }

    func entries(_ owner: Identity, _ bodies: [(Ledger.Kind, [UInt8])]) throws -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        var previous = Digest.zero
        for (i, (kind, body)) in bodies.enumerated() {
            let e = try LedgerEntry.sign(identity: owner, seq: UInt64(i), previousHash: previous, time: Int64(i), kind: kind, body: body)
            previous = e.hash
            out.append(e)
        }
        return out
    }

    func result(_ n: UInt8, by provider: Identity) -> (Ledger.Kind, [UInt8]) {
        (.result, Market.ResultRecord(jobID: job(n), requester: requester.publicKey, provider: provider.publicKey, modelID: model,
                                      promptCommitment: .zero, outputCommitment: .zero, outputTokenCount: 4, outputTokensHash: .zero,
                                      fingerprint: [], pricePer1k: 10, credits: 1, awardedAt: 0, startedAt: 0, finishedAt: 1).wireBytes)
    }

    func paid(_ n: UInt8, to provider: Identity) -> (Ledger.Kind, [UInt8]) {
        (.receipt, Market.Receipt(jobID: job(n), requester: requester.publicKey, provider: provider.publicKey, resultRecordHash: .zero,
                                  outcome: .paid, credits: 1, validators: [], issuedAt: 2).wireBytes)
    }

    /// A `failedVerification` receipt for job `n` of `provider`, as `requester` writes it.
    func caught(_ n: UInt8, _ provider: Identity) -> (Ledger.Kind, [UInt8]) {
        (.receipt, Market.Receipt(jobID: job(n), requester: requester.publicKey, provider: provider.publicKey, resultRecordHash: .zero,
                                  outcome: .failedVerification, credits: 0, validators: [], issuedAt: 2).wireBytes)
    }

    func check(_ n: UInt8, of provider: Identity, passed: Bool) -> (Ledger.Kind, [UInt8]) {
        (.attestation, Market.Attestation(jobID: job(n), requester: requester.publicKey, provider: provider.publicKey,
                                          validator: validator.publicKey, resultRecordHash: .zero, modelID: model,
                                          verdict: passed ? .pass : .fail(.tokenMismatch, position: 1), issuedAt: 2).wireBytes)
    }

    @Test func theLedgersCountPaymentsRejectionsAndLies() throws {
        let ledgers: [PublicKey: [LedgerEntry]] = [
            // Honest: jobs 1 (paid), 2 (paid twice: a bug), 3 (wrongly failed), 4 (never paid).
            // (and a copy of a receipt for job 7 that only its requester could have written)
            honest.publicKey: try entries(honest, [result(1, by: honest), result(2, by: honest), result(3, by: honest),
                                                    result(4, by: honest), caught(7, liar)]),
            // The liar: job 5 caught, job 6 caught and paid anyway, job 7 never checked, job 8
            // caught by its requester (a failedVerification receipt: two validators failed it, one
            // of them not counted here); as a validator it failed the honest job 1 (outvoted: not
            // a false rejection).
            liar.publicKey: try entries(liar, [result(5, by: liar), result(6, by: liar), result(7, by: liar), result(8, by: liar),
                                               check(1, of: honest, passed: false)]),
            requester.publicKey: try entries(requester, [paid(1, to: honest), paid(2, to: honest), paid(2, to: honest),
                                                          paid(6, to: liar), caught(8, liar)]),
            validator.publicKey: try entries(validator, [check(1, of: honest, passed: true), check(3, of: honest, passed: false),
                                                          check(5, of: liar, passed: false), check(6, of: liar, passed: false)]),
        ]
        let facts = ChaosLedgerFacts(ledgers: ledgers, byzantine: [liar.publicKey], honest: [honest.publicKey])
        #expect(facts.paidTwice == 1)
        #expect(facts.falseRejections == 1 && facts.byzantineAccusations == 1)
        #expect(facts.byzantineResults == 4 && facts.byzantineDetected == 3 && facts.byzantinePaid == 1)
        // Job 7's "receipt" is in another node's ledger, not its requester's: not a detection.
        #expect(facts.uncaught.count == 1 && facts.uncaught[0].contains("failed by nobody"), "\(facts.uncaught)")
        #expect(facts.paidByzantine.count == 1 && facts.paidByzantine[0].contains("failed by \(validator.publicKey.short)"), "\(facts.paidByzantine)")
        #expect(facts.unpaidResults == 2)   // jobs 3 and 4
        #expect(facts.undecodable == 0 && facts.entries == 19)
        // The liar's failing check of job 1, when it is a byzantine provider that checks honestly,
        // is an honest validator's rejection of an honest result.
        let checker = ChaosLedgerFacts(ledgers: ledgers, byzantine: [liar.publicKey], honest: [honest.publicKey],
                                       honestCheckers: [liar.publicKey])
        #expect(checker.falseRejections == 2 && checker.byzantineAccusations == 0)
        // Jobs a byzantine requester (the flooder) asked for are counted apart: its own receipts
        // are not taken as catches; honest validators' failures are.
        let flooded = ChaosLedgerFacts(ledgers: ledgers, byzantine: [liar.publicKey], honest: [honest.publicKey],
                                       attackers: [requester.publicKey])
        #expect(flooded.byzantineResults == 0 && flooded.attackerJobLies == 4 && flooded.attackerJobLiesCaught == 2)
    }

    @Test func theReportNamesEveryBreachAndRoundTripsAsJSON() throws {
        var clean = ChaosReport(nodes: 8, submitted: 60, served: 60, verified: 60, verifications: ["attested-pass": 60], retried: 5,
                                failed: [:], paidTwice: 0, falseRejections: 0, honestPenalised: 0, byzantineResults: 4,
                                byzantineDetected: 4, byzantinePaid: 0, byzantineDelivered: 0, byzantineExcluded: 2, byzantineNodes: 2,
                                exclusionSecondsMax: 12, deadDetectionSeconds: [3.5, 4, 9], ledgersVerified: 8, unpaidResults: 1,
                                faults: ["  8.0 s  SIGKILL node 2"], wallSeconds: 90)
        #expect(clean.problems.isEmpty, "\(clean.problems)")
        #expect(clean.deadDetectionSecondsP99 == 9)
        let json = try JSONEncoder().encode(clean)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        for key in ["submitted", "served", "verified", "failed", "lost", "paid_twice", "false_rejections", "honest_penalised",
                    "byzantine_results", "byzantine_detected", "byzantine_excluded", "exclusion_s_max", "dead_detection_s_p99",
                    "ledgers_verified", "nodes", "problems"] {
            #expect(object[key] != nil, "no \(key) in \(String(decoding: json, as: UTF8.self))")
        }
        #expect(try JSONDecoder().decode(ChaosReport.self, from: json) == clean)
        clean.served = 59; clean.lost = 1
        clean.byzantineDetected = 3; clean.paidTwice = 1
        let problems = clean.problems.joined(separator: "\n")
        #expect(problems.contains("never served") && problems.contains("paid twice") && problems.contains("not caught"))
    }
}
