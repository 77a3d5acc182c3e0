import AgoraCrypto
import AgoraLedger
import AgoraMarket
import AgoraWire

/// Equivocation evidence in the node: every signed checkpoint that arrives with a result,
/// a verify request or an attestation goes through `EquivocationWatch`; evidence found
/// there, or received from a peer and verified, is appended to this node's ledger (kind
/// `evidence`), excludes the accused node from this node's market, and is sent once to
/// every live peer (message 0x0406, Protocol.md §4.6), so it spreads to the whole network.
extension MarketShell {
    /// Feeds the checkpoint an incoming market message carries to the watch.
    func observeCheckpoints(in envelope: Envelope) async {
        let proof: Market.EntryProof?
        switch envelope.type {
        case .result: proof = (try? Market.Signed<Market.ResultMessage>(payload: envelope.payload))?.body.entryProof
        case .verifyRequest: proof = (try? Market.Signed<Market.VerifyRequest>(payload: envelope.payload))?.body.entryProof
        case .attestation: proof = (try? Market.Signed<Market.AttestationMessage>(payload: envelope.payload))?.body.entryProof
        default: proof = nil
        }
        guard let proof, let checkpoint = try? Ledger.SignedCheckpoint(note: proof.checkpoint),
              checkpoint.checkpoint.ledgerID != identity.publicKey else { return }
        if case .equivocation(let evidence) = watch.observe(checkpoint) {
            logger.warning("ledger equivocation detected: two checkpoints of one size with different roots",
                           metadata: ["ledger": "\(evidence.ledgerID.short)", "size": "\(evidence.first.checkpoint.size)"])
            await act(on: evidence, from: nil)
        }
    }

    /// Evidence a peer sent (message 0x0406): verified on its own, then acted on once.
    func receiveEvidence(_ payload: [UInt8], from peer: NodeID) async {
        let evidence: Ledger.Evidence
        do {
            evidence = try Ledger.Evidence(bytes: payload)
            try evidence.verify()
        } catch {
            NodeMetrics.marketRejections.increment()
            logger.info("evidence rejected", metadata: ["from": "\(peer.short)", "reason": "\(error)"])
            return
        }
        guard evidence.ledgerID != identity.publicKey else {
            logger.error("a peer holds valid equivocation evidence against this node's own ledger", metadata: ["from": "\(peer.short)"])
            return
        }
        guard watch.accept(evidence) else { return }
        logger.warning("equivocation evidence received and verified", metadata: ["ledger": "\(evidence.ledgerID.short)", "from": "\(peer.short)"])
        await act(on: evidence, from: peer)
    }

    /// Records `evidence` in this node's ledger, excludes the accused, and passes it on.
    private func act(on evidence: Ledger.Evidence, from: NodeID?) async {
        NodeMetrics.evidence.increment()
        do {
            _ = try await ledger.append(kind: .evidence, body: evidence.encoded)
            NodeMetrics.ledgerAppends.increment()
        } catch {
            logger.error("cannot append evidence to the ledger", metadata: ["error": "\(error)"])
        }
        await handle(.evidence(against: evidence.ledgerID))
        let envelope = Envelope(type: .evidence, payload: evidence.encoded)
        for (peer, address) in addresses.sorted(by: { $0.key < $1.key })
        where peer != identity.publicKey && peer != evidence.ledgerID && peer != from {
            do {
                try await sessions.send(envelope, to: peer, host: address.host, port: Int(address.port))
            } catch {
                logger.info("evidence send failed", metadata: ["peer": "\(peer.short)", "error": "\(error)"])
            }
        }
    }
}
