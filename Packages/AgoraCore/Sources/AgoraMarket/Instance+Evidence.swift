import AgoraCrypto
import AgoraLedger
import AgoraWire

/// Equivocation evidence (Protocol.md §4.6) in the market: every signed checkpoint that
/// arrives on a result, a verify request or an attestation goes through the instance's
/// `EquivocationWatch`; evidence found there, or received from a peer (message 0x0406) and
/// verified, is appended to this node's ledger, excludes the accused from this node's market,
/// and is relayed once to every live peer, so it spreads to the whole network.
extension Market.Instance {
    /// `handled` (the directives of a message carrying `proof`), then, unless the message was
    /// rejected (a rejected input changes nothing), what its checkpoint tells the watch.
    mutating func observing(_ proof: Market.EntryProof, _ handled: [Directive], now: Millis) -> [Directive] {
        let rejected = handled.contains { if case .rejected = $0 { return true } else { return false } }
        return rejected ? handled : handled + observe(proof, now: now)
    }

    /// Feeds the checkpoint of an accepted market message to the watch.
    mutating func observe(_ proof: Market.EntryProof, now: Millis) -> [Directive] {
        guard let checkpoint = try? Ledger.SignedCheckpoint(note: proof.checkpoint),
              checkpoint.checkpoint.ledgerID != nodeID else { return [] }
        return follow(state.watch.observe(checkpoint, now: now), ledger: checkpoint.checkpoint.ledgerID)
    }

    /// A peer asks this node to prove its own ledger append-only between two sizes: the
    /// shell answers from the ledger (`.proveConsistency`), at most
    /// `Limits.consistencyAnswersPerWindow` times per peer and window.
    mutating func onConsistencyRequest(_ payload: [UInt8], from: PublicKey, now: Millis) -> [Directive] {
        guard let request = try? Ledger.ConsistencyRequest(wireBytes: payload) else {
            return reject(Rejection(.malformed, "consistency request does not decode"), from: from)
        }
        let window = Market.Limits.consistencyWindow
        var asked = state.consistencyAnswered[from] ?? RequestWindow(start: now, count: 0)
        if now >= asked.start + window { asked = RequestWindow(start: now, count: 0) }
        guard asked.count < Market.Limits.consistencyAnswersPerWindow else {
            return reject(Rejection(.rateLimited, "\(asked.count) consistency proofs already computed for \(from.short) in this window"), from: from)
        }
        asked.count += 1
        state.consistencyAnswered[from] = asked
        if state.consistencyAnswered.count > Market.Limits.maxConsistencyAskers {
            state.consistencyAnswered = state.consistencyAnswered.filter { now < $0.value.start + window }
        }
        return [.proveConsistency(to: from, request)]
    }

    /// The owner of a ledger answers this node's consistency question about it.
    mutating func onConsistencyAnswer(_ payload: [UInt8], from: PublicKey) -> [Directive] {
        let answer: Ledger.ConsistencyAnswer
        do { answer = try Ledger.ConsistencyAnswer(wireBytes: payload) } catch {
            return reject(Rejection(.malformed, "consistency proof does not decode: \(error)"), from: from)
        }
        return follow(state.watch.answer(answer, ledger: from), ledger: from)
    }

    /// Keeps a warning every member should get, for members that were away when it spread.
    mutating func warn(_ envelope: Envelope) {
        state.warnings.append(envelope)
        if state.warnings.count > Market.Limits.maxWarnings { state.warnings.removeFirst(state.warnings.count - Market.Limits.maxWarnings) }
    }

    /// What the instance does on what the watch found about `ledger`.
    private mutating func follow(_ outcome: Market.EquivocationWatch.Outcome, ledger: PublicKey) -> [Directive] {
        switch outcome {
        case .consistent:
            return []
        case .equivocation(let evidence):
            return act(on: evidence, from: nil)
        case .askConsistency(let small, let large):
            let ask = Ledger.ConsistencyRequest(size1: small.checkpoint.size, size2: large.checkpoint.size)
            return [.send(to: ledger, Envelope(type: .consistencyRequest, payload: ask.wireBytes))]
        case .askLater(let at):
            return [.schedule(.consistencyDue(ledger), at: at)]
        case .unproven(let why):
            return reject(Rejection(.badProof, "consistency proof: \(why)"), from: ledger)
        }
    }

    /// A consistency question deferred by the watch's interval is due.
    mutating func onConsistencyDue(_ ledger: PublicKey, now: Millis) -> [Directive] {
        follow(state.watch.due(ledger, now: now), ledger: ledger)
    }

    /// Evidence a peer sent: verified on its own, then acted on once.
    mutating func onEvidence(_ payload: [UInt8], from: PublicKey) -> [Directive] {
        let evidence: Ledger.Evidence
        do {
            evidence = try Ledger.Evidence(bytes: payload)
            try evidence.verify()
        } catch {
            return reject(.badProof, "equivocation evidence does not verify: \(error)", from: from)
        }
        guard evidence.ledgerID != nodeID else { return [.notify(.evidenceAgainstThisNode(from: from))] }
        guard state.watch.accept(evidence) else { return [] }
        return act(on: evidence, from: from)
    }

    /// Records `evidence` in this node's ledger, excludes the accused, and passes it on.
    private mutating func act(on evidence: Ledger.Evidence, from: PublicKey?) -> [Directive] {
        state.reputation.exclude(evidence.ledgerID)
        warn(Envelope(type: .evidence, payload: evidence.encoded))
        stats.evidence += 1
        return [
            .appendLedger(Market.LedgerAppend(kind: .evidence, body: evidence.encoded, ticket: .evidence(evidence.ledgerID))),
            .gossip(Envelope(type: .evidence, payload: evidence.encoded)),
            .notify(.equivocation(evidence, reportedBy: from)),
        ]
    }
}
