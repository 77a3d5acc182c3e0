import AgoraCrypto

extension Gossip {
    /// What the instance asks its shell to do. Shells `switch` over every case.
    public enum Directive: Sendable {
        /// Seal `datagram` into a packet (`Packet.seal`, next sequence number) and send it
        /// by UDP to `address`. The instance keeps every datagram within `Packet.maxSize`.
        case send(Datagram, to: Address)
        /// Open a TCP session to `address`, send `pushPull` (`Message.pushPull`), read the
        /// reply and hand it to `onPushPull`; on failure call `onPushPullFailed`.
        case pushPull(PushPull, to: Address)
        /// Answer a received push-pull with this state on the session it came on.
        case replyPushPull(PushPull, to: Address)
        /// Stream ping (memberlist's TCP fallback probe, `Settings.streamPing`): open a stream
        /// (TCP) session to `address`, send `Message.ping(seq:target:)` and read one reply; if it
        /// is `Message.ack(seq)`, call `onStreamAck(seq:now:)`. On failure, or no reply within
        /// the probe's indirect window, do nothing (the probe simply gets no ack this way).
        /// The receiving shell hands the ping to `onStreamPing(seq:target:from:now:)`.
        case streamPing(seq: UInt64, target: NodeID, to: Address)
        /// Answer a ping received on a stream session with `Message.ack(seq)` on that session.
        case replyStreamPing(seq: UInt64, to: Address)
        /// Call `onTimeout(timer, now:)` at `at` (or as soon as possible after). A timer may be
        /// scheduled again with another deadline; fire every one: the instance ignores stale ones.
        case schedule(Timer, at: Instant)
        /// Report a membership event to the node (logs, metrics, the market's peer table).
        case emit(Event)
    }

    /// The instance's timers; each comes back through `onTimeout`.
    public enum Timer: Hashable, Sendable {
        /// Start the next probe.
        case probe
        /// No direct ack yet for probe `seq`: ask helpers.
        case probeTimeout(seq: UInt64)
        /// End of probe `seq`: suspect the target unless acked.
        case indirectDeadline(seq: UInt64)
        /// A relayed probe `seq` got no ack: nack the requester.
        case relayDeadline(seq: UInt64)
        /// A suspicion about this member may have run out.
        case suspicion(NodeID)
        /// Next gossip round.
        case gossip
        /// Next push-pull.
        case pushPull
        /// Next attempt to reach a dead member (partition healing).
        case reconnect
        /// Retry joining while no member is known.
        case join
    }

    /// A change in this node's view of the cluster.
    public enum Event: Sendable, Equatable {
        /// A member became alive: newly known, back with a higher incarnation after being
        /// dead or departed, or cleared of suspicion.
        case alive(PeerRecord)
        /// An alive member published a newer record (capabilities, addresses, or a refutation).
        case recordUpdated(PeerRecord)
        /// A member is suspected at an incarnation.
        case suspect(NodeID, incarnation: UInt64)
        /// A member was declared dead at an incarnation.
        case dead(NodeID, incarnation: UInt64)
        /// A member left gracefully.
        case left(NodeID, incarnation: UInt64)
        /// A dead or departed member was removed from the member list (its tombstone remains).
        case reaped(NodeID)
        /// This node refuted a suspicion about itself by publishing this incarnation.
        case refuted(incarnation: UInt64)
    }

    /// What the node asks the instance to do.
    public enum Command: Sendable {
        /// Start: push-pull with each bootstrap address (retried every `joinRetry` while no
        /// member is known) and take `knownRecords` (e.g. cached from a previous run) as alive
        /// members after checking their signatures. Idempotent timers start on the first join.
        case join(bootstrap: [Address], knownRecords: [PeerRecord] = [])
        /// Leave gracefully: publish a departing record (incarnation + 1), keep gossiping it,
        /// stop probing. The shell may stop the node after a few gossip intervals.
        case leave
        /// Publish a new record (incarnation + 1) with these addresses and capabilities.
        case updateRecord(addresses: [Address], capabilities: Capabilities)
    }

    /// Counts of what the instance dropped or did, for metrics and the "bad input" tests.
    public struct Counters: Hashable, Sendable {
        /// Records whose signature the verifier rejected (wrong key, altered).
        public var badRecords = 0
        /// Updates at an incarnation older than the one held (replayed or late).
        public var staleUpdates = 0
        /// Suspect updates about members this node does not know.
        public var unknownSubjects = 0
        /// Pings addressed to another node id.
        public var misdirectedPings = 0
        /// Acks and nacks matching no outstanding probe.
        public var unexpectedReplies = 0
        /// Probes started.
        public var probes = 0
        /// Probes that ended without an ack (the target became suspect).
        public var failedProbes = 0
        /// Stream pings sent (probes and last-chance probes whose direct ack was late).
        public var streamPings = 0
        /// Probes and last-chance probes first acked by a stream ping.
        public var streamAcks = 0
        /// Members this node declared dead when their suspicion ran out.
        public var declaredDead = 0
        /// Suspicions about this node that it refuted.
        public var refutations = 0
        /// Datagrams sent to answer stale suspect/dead claims with the newer record.
        public var staleClaimsAnswered = 0
        /// Datagrams built.
        public var datagramsSent = 0
        /// Update transmissions (piggybacked or gossiped).
        public var updatesSent = 0
    }
}
