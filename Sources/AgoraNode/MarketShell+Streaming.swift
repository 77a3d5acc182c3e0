import AgoraCrypto
import AgoraMarket
import AgoraWire

/// Token streaming between provider and requester (message 0x030A, Protocol.md §7.8b): the
/// provider sends each token's text as it is generated; the requester hands the pieces that
/// extend what its client already has to the job's streaming callback.
extension MarketShell {
    /// Sends one piece of a job's output to its requester (or hands it over locally when this
    /// node requested the job itself); a piece that cannot be sent is dropped: it is a preview.
    func sendPiece(_ piece: StreamPiece, to requester: NodeID) async {
        guard piece.offset < StreamPiece.maxOffset, piece.text.count <= StreamPiece.maxTextBytes else { return }
        if requester == identity.publicKey {
            receivePiece(piece.wireBytes, from: requester)
            return
        }
        guard let address = addresses[requester] else { return }
        try? await sessions.send(Envelope(type: .streamPiece, payload: piece.wireBytes), to: requester,
                                 host: address.host, port: Int(address.port))
    }

    /// A stream piece from a provider: passed on to the job's streaming client when it comes
    /// from the provider holding the award and extends what the client has.
    func receivePiece(_ payload: [UInt8], from peer: NodeID) {
        guard let piece = try? StreamPiece(wireBytes: payload) else {
            NodeMetrics.marketRejections.increment()
            return
        }
        guard var stream = streams[piece.jobID], instance.awardedProvider(piece.jobID) == peer else { return }
        if let text = stream.assembly.add(piece, from: peer) { stream.onText(text) }
        streams[piece.jobID] = stream
    }
}
