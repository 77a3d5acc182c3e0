import AgoraCrypto
import AgoraLedger

/// Remembers the signed checkpoints this node has seen of every other ledger (on results,
/// verify requests and attestations) and turns a conflicting pair into transferable
/// equivocation evidence (Protocol.md §4.6). Pure: the market instance feeds it every
/// checkpoint that arrives on a market message and acts on what it returns.
///
/// Detected here: two checkpoints of one size with different roots (a ledger that was
/// rolled back or forked and signed again), and a ledger that rewrote its history and grew:
/// per ledger the watch keeps an *anchor* (the largest checkpoint known to extend every
/// earlier one it held) and, when a checkpoint of another size arrives, asks the owner for
/// a consistency proof between the two (`askConsistency`). The owner's answer
/// (`Ledger.ConsistencyAnswer`) either moves the anchor forward or is transferable
/// evidence. One question per ledger is open at a time; one unanswered for
/// `questionTimeout` is asked again when a newer checkpoint arrives.
extension Market {
struct EquivocationWatch: Equatable, Sendable {
    /// What one observation means.
    enum Outcome: Equatable {
        /// Nothing new, or consistent as far as this watch can tell.
        case consistent
        /// `evidence` proves the ledger's owner signed two conflicting checkpoints.
        case equivocation(Ledger.Evidence)
        /// Ask the ledger's owner for a consistency proof between `small` and `large`.
        case askConsistency(Ledger.SignedCheckpoint, Ledger.SignedCheckpoint)
        /// A question is due but the last one was asked less than `questionInterval` ago:
        /// call `due(_:now:)` at this time (returned once per wait).
        case askLater(at: Millis)
        /// An answer that proves nothing (not asked for, or a wrong proof); the question
        /// stays open until it times out.
        case unproven(String)
    }

    /// A consistency question sent to a ledger's owner.
    struct Question: Equatable, Sendable {
        var small: Ledger.SignedCheckpoint
        var large: Ledger.SignedCheckpoint
        var askedAt: Millis
    }

    /// How long an unanswered question blocks asking another about the same ledger.
    static let questionTimeout: Millis = 30_000

    /// The least time between two questions about one ledger: half the rate its owner
    /// answers (`Limits.consistencyAnswersPerWindow`), so that an honest watcher of a busy
    /// ledger, which sees a new checkpoint on every result, is never refused as a flood.
    static let questionInterval: Millis =
        Market.Limits.consistencyWindow / Millis(Market.Limits.consistencyAnswersPerWindow / 2)

    /// Largest number of checkpoints kept per ledger (the most recent sizes).
    static let keptPerLedger = 64

    private var seen: [PublicKey: [UInt64: Ledger.SignedCheckpoint]] = [:]
    /// Per ledger, the largest checkpoint proven to extend the others held (or the first seen).
    private var anchors: [PublicKey: Ledger.SignedCheckpoint] = [:]
    /// Per ledger, the open consistency question.
    private(set) var questions: [PublicKey: Question] = [:]
    /// Per ledger, when the last question about it was asked.
    private var lastAsked: [PublicKey: Millis] = [:]
    /// Ledgers with a question waiting for `questionInterval` to pass (`due`).
    private var deferred: Set<PublicKey> = []
    /// Ledgers with evidence against them (found here or received and verified).
    private(set) var accused: Set<PublicKey> = []

    /// Records a checkpoint this node received at `now`; returns evidence the first time a
    /// ledger is caught signing two roots for one size, or a consistency question to ask.
    mutating func observe(_ checkpoint: Ledger.SignedCheckpoint, now: Millis) -> Outcome {
        let ledger = checkpoint.checkpoint.ledgerID
        guard !accused.contains(ledger) else { return .consistent }
        var known = seen[ledger, default: [:]]
        if let earlier = known[checkpoint.checkpoint.size] {
            guard earlier.checkpoint.root != checkpoint.checkpoint.root else { return .consistent }
            let evidence = Ledger.Evidence(first: earlier, second: checkpoint, conflict: .sameSize)
            guard (try? evidence.verify()) != nil else { return .consistent }
            return convict(ledger, evidence)
        }
        known[checkpoint.checkpoint.size] = checkpoint
        if known.count > Self.keptPerLedger, let oldest = known.keys.min() { known[oldest] = nil }
        seen[ledger] = known
        guard let anchor = anchors[ledger], anchor.checkpoint.size > 0, checkpoint.checkpoint.size > 0 else {
            if checkpoint.checkpoint.size > 0 { anchors[ledger] = checkpoint }
            return .consistent
        }
        if let open = questions[ledger], now < open.askedAt + Self.questionTimeout { return .consistent }
        if let last = lastAsked[ledger], now < last + Self.questionInterval {
            // Not lost: asked when the interval has passed, about the newest checkpoint then.
            return deferred.insert(ledger).inserted ? .askLater(at: last + Self.questionInterval) : .consistent
        }
        return ask(ledger, anchor: anchor, about: checkpoint, now: now)
    }

    /// The deferred question about `ledger`, if it is still to ask: between its anchor and the
    /// checkpoint of another size seen most recently (the largest other size kept).
    mutating func due(_ ledger: PublicKey, now: Millis) -> Outcome {
        guard deferred.remove(ledger) != nil, !accused.contains(ledger), let anchor = anchors[ledger] else { return .consistent }
        if let open = questions[ledger], now < open.askedAt + Self.questionTimeout { return .consistent }
        if let last = lastAsked[ledger], now < last + Self.questionInterval {
            deferred.insert(ledger)
            return .askLater(at: last + Self.questionInterval)
        }
        guard let newest = seen[ledger]?.values.filter({ $0.checkpoint.size != anchor.checkpoint.size })
            .max(by: { $0.checkpoint.size < $1.checkpoint.size }) else { return .consistent }
        return ask(ledger, anchor: anchor, about: newest, now: now)
    }

    private mutating func ask(_ ledger: PublicKey, anchor: Ledger.SignedCheckpoint, about checkpoint: Ledger.SignedCheckpoint,
                              now: Millis) -> Outcome {
        let (small, large) = anchor.checkpoint.size < checkpoint.checkpoint.size ? (anchor, checkpoint) : (checkpoint, anchor)
        questions[ledger] = Question(small: small, large: large, askedAt: now)
        lastAsked[ledger] = now
        return .askConsistency(small, large)
    }

    /// Takes the owner's answer to the open question about `ledger`.
    mutating func answer(_ answer: Ledger.ConsistencyAnswer, ledger: PublicKey) -> Outcome {
        guard !accused.contains(ledger) else { return .consistent }
        guard let open = questions[ledger] else { return .unproven("no consistency question is open for this ledger") }
        switch answer.judge(small: open.small, large: open.large) {
        case .consistent:
            questions[ledger] = nil
            if let anchor = anchors[ledger], anchor.checkpoint.size < open.large.checkpoint.size { anchors[ledger] = open.large }
            return .consistent
        case .equivocation(let evidence):
            return convict(ledger, evidence)
        case .unproven(let why):
            return .unproven(why)
        }
    }

    private mutating func convict(_ ledger: PublicKey, _ evidence: Ledger.Evidence) -> Outcome {
        accused.insert(ledger)
        seen[ledger] = nil
        anchors[ledger] = nil
        questions[ledger] = nil
        lastAsked[ledger] = nil
        deferred.remove(ledger)
        return .equivocation(evidence)
    }

    /// Records evidence received from a peer once it verified; false if already known.
    mutating func accept(_ evidence: Ledger.Evidence) -> Bool {
        let ledger = evidence.ledgerID
        seen[ledger] = nil
        anchors[ledger] = nil
        questions[ledger] = nil
        lastAsked[ledger] = nil
        deferred.remove(ledger)
        return accused.insert(ledger).inserted
    }
}
}
