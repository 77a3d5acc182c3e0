/// The type tag of an envelope (Protocol.md, "Message types"). Values are stable: never
/// renumber a shipped type; add new ones at unused numbers.
public enum MessageType: UInt16, Sendable, CaseIterable {
    // Gossip (0x01xx), over UDP datagrams or TCP push-pull.
    /// A SWIM probe.
    case ping = 0x0101
    /// The answer to a probe.
    case ack = 0x0102
    /// Ask another member to probe a target on our behalf.
    case pingRequest = 0x0103
    /// An indirect prober's "I could not reach it" (Lifeguard).
    case nack = 0x0104
    /// Full-state anti-entropy exchange over TCP.
    case pushPull = 0x0105
    /// A signed peer record on its own.
    case peerRecord = 0x0106
    /// A graceful leave.
    case leave = 0x0107

    // Sessions (0x02xx), TCP.
    /// First handshake message (ephemeral key).
    case handshakeHello = 0x0201
    /// Handshake reply (ephemeral key, identity proof).
    case handshakeReply = 0x0202
    /// Handshake completion (initiator's identity proof).
    case handshakeFinish = 0x0203

    // Market (0x03xx).
    /// A signed job request.
    case jobRequest = 0x0301
    /// A signed bid.
    case bid = 0x0302
    /// A signed award carrying the sealed prompt.
    case award = 0x0303
    /// A result with its ledger entry, checkpoint and inclusion proof.
    case result = 0x0304
    /// A requester cancelling a job.
    case cancel = 0x0305
    /// A request for a validator to re-check a result.
    case verifyRequest = 0x0306
    /// A validator's attestation.
    case attestation = 0x0307
    /// A provider declining an award.
    case decline = 0x0308
    /// A requester's receipt entry with its proof, sent to the provider it pays.
    case receipt = 0x0309
    /// A piece of output text streamed by a provider to its requester while it generates.
    case streamPiece = 0x030A
    /// A provider returning a job's input, boxed, to a restarted requester (so that it can
    /// have the result it sends again checked).
    case reconcileInput = 0x030B

    // Ledger (0x04xx).
    /// A signed checkpoint.
    case checkpoint = 0x0401
    /// Ask for entries in a range.
    case entriesRequest = 0x0402
    /// Entries in a range.
    case entries = 0x0403
    /// Ask for a consistency proof.
    case consistencyRequest = 0x0404
    /// A consistency proof.
    case consistencyProof = 0x0405
    /// Equivocation evidence.
    case evidence = 0x0406
}
