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
    mutating func observing(_ proof: Market.EntryProof, _ handled: [Directive]) -> [Directive] {
        let rejected = handled.contains { if case .rejected = $0 { return true } else { return false } }
        return rejected ? handled : handled + observe(proof)
    }

    /// Feeds the checkpoint of an accepted market message to the watch.
    mutating func observe(_ proof: Market.EntryProof) -> [Directive] {
        guard let checkpoint = try? Ledger.SignedCheckpoint(note: proof.checkpoint),
              checkpoint.checkpoint.ledgerID != nodeID,
              case .equivocation(let evidence) = state.watch.observe(checkpoint) else { return [] }
        return act(on: evidence, from: nil)
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
        stats.evidence += 1
        return [
            .appendLedger(Market.LedgerAppend(kind: .evidence, body: evidence.encoded, ticket: .evidence(evidence.ledgerID))),
            .gossip(Envelope(type: .evidence, payload: evidence.encoded)),
            .notify(.equivocation(evidence.ledgerID, reportedBy: from)),
        ]
    }
}
