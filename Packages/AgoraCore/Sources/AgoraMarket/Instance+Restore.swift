import AgoraCrypto
import AgoraLedger

extension Market.Instance {
    /// Counts an entry of this node's own ledger again after a restart: its receipts (what it
    /// paid, and the standing of the providers it used), its attestations, and the
    /// equivocation evidence it recorded (the accused stays excluded). Balances and
    /// reputation are facts of the ledgers, so a restart rebuilds them rather than resetting
    /// them; an entry counted before is not counted twice. Returns whether it counted.
    @discardableResult
    public mutating func restore(ownEntry kind: UInt8, body: [UInt8]) -> Bool {
        switch Market.LedgerKind(rawValue: kind) {
        case .receipt:
            guard let r = try? Market.Receipt(wireBytes: body), r.requester == nodeID else { return false }
            return state.reputation.count(receipt: r, bodyHash: SHA256.hash(body))
        case .attestation:
            guard let a = try? Market.Attestation(wireBytes: body), a.validator == nodeID else { return false }
            return state.reputation.count(attestation: a, bodyHash: SHA256.hash(body))
        case .evidence:
            guard let evidence = try? Ledger.Evidence(bytes: body), (try? evidence.verify()) != nil,
                  evidence.ledgerID != nodeID else { return false }
            _ = state.watch.accept(evidence)
            state.reputation.exclude(evidence.ledgerID)
            return true
        case .result, nil:
            return false
        }
    }

    /// Counts again an entry of another node's ledger that was remembered (`.remember`)
    /// before a restart. It is verified as when it first arrived; one that no longer verifies,
    /// or was counted already, counts nothing. Returns whether it counted.
    @discardableResult
    public mutating func restore(observed proof: Market.EntryProof) -> Bool {
        guard case .verified(let e) = verifier.verify(proof) else { return false }
        switch Market.LedgerKind(rawValue: e.kind) {
        case .receipt:
            guard let r = try? Market.Receipt(wireBytes: e.body), r.requester == e.ledger else { return false }
            return state.reputation.count(receipt: r, bodyHash: SHA256.hash(e.body))
        case .attestation:
            guard let a = try? Market.Attestation(wireBytes: e.body), a.validator == e.ledger else { return false }
            return state.reputation.count(attestation: a, bodyHash: SHA256.hash(e.body))
        case .result, .evidence, nil:
            return false
        }
    }
}
