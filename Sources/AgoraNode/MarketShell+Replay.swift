import AgoraCrypto
import AgoraWire

extension MarketShell {
    /// `Misbehaviour.replay`: keeps `envelope`, then resends one kept message unchanged to
    /// the peer it came from and to another peer (replays), and one with a byte of its
    /// signature changed to a third (a forgery). Honest nodes must reject every one of them
    /// with a typed reason and change nothing.
    func replay(after envelope: Envelope, from peer: NodeID) async {
        replayable.append((envelope, peer))
        if replayable.count > 64 { replayable.removeFirst(replayable.count - 64) }
        guard let old = replayable.randomElement() else { return }
        let others = addresses.keys.filter { $0 != identity.publicKey }
        await send(old.envelope, to: old.from)
        if let other = others.randomElement() { await send(old.envelope, to: other) }
        var forged = old.envelope
        if !forged.payload.isEmpty {
            // Signed market messages end with their Ed25519 signature.
            forged.payload[forged.payload.count - 1] ^= 0x01
            if let other = others.randomElement() { await send(forged, to: other) }
        }
    }
}
