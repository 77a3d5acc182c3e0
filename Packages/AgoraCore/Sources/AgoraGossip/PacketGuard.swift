import AgoraCrypto

extension Gossip {
    /// What the shell runs on every received datagram before the instance sees it:
    /// decode (bounded), check the sender's signature, drop replays, and count every drop.
    /// Pure (no I/O); one per node.
    public struct PacketGuard: Sendable {
        /// Drop counts by reason.
        public struct Counters: Hashable, Sendable {
            /// Packets accepted.
            public var accepted = 0
            /// Undecodable packets (garbage, truncated, unknown version or type).
            public var malformed = 0
            /// Packets above `Packet.maxSize`.
            public var oversized = 0
            /// Packets whose signature does not verify.
            public var badSignature = 0
            /// Repeated or too-old sequence numbers.
            public var replayed = 0
            /// Packets claiming to come from this node.
            public var fromSelf = 0
        }

        /// Per-sender windows kept at most.
        public static let maxSenders = 65_536
        /// How far behind a sender's highest sequence a packet may arrive (reordering).
        public static let window: UInt64 = 64

        private struct Window: Sendable {
            var highest: UInt64
            var seen: UInt64   // bit i: highest − i was seen
        }

        /// This node's id (packets from it are dropped).
        public let selfID: NodeID
        /// Drop counts.
        public private(set) var counters = Counters()
        private var windows: [NodeID: Window] = [:]

        /// A guard for node `selfID`.
        public init(selfID: NodeID) { self.selfID = selfID }

        /// Decodes, authenticates and de-duplicates one datagram. On success the caller
        /// hands `(datagram, Peer(sender, source address))` to `Instance.onDatagram`.
        public mutating func open(_ bytes: [UInt8]) -> Result<(sender: NodeID, datagram: Datagram), GossipError> {
            let opened: Packet.Opened
            do { opened = try Packet.decode(bytes) } catch {
                if error.code == .oversized { counters.oversized += 1 } else { counters.malformed += 1 }
                return .failure(error)
            }
            guard opened.sender != selfID else {
                counters.fromSelf += 1
                return .failure(GossipError(.malformedPacket, "packet claims to come from this node"))
            }
            guard opened.isAuthentic else {
                counters.badSignature += 1
                return .failure(GossipError(.badSignature, "packet from \(opened.sender.short)"))
            }
            guard accept(opened.sequence, from: opened.sender) else {
                counters.replayed += 1
                return .failure(GossipError(.replayed, "sequence \(opened.sequence) from \(opened.sender.short)"))
            }
            counters.accepted += 1
            return .success((opened.sender, opened.datagram))
        }

        /// Records `seq` from `sender`; false if it was seen or is older than the window.
        mutating func accept(_ seq: UInt64, from sender: NodeID) -> Bool {
            guard var w = windows[sender] else {
                if windows.count >= PacketGuard.maxSenders { windows.removeAll(keepingCapacity: true) }
                windows[sender] = Window(highest: seq, seen: 1)
                return true
            }
            if seq > w.highest {
                let shift = seq - w.highest
                w.seen = shift >= 64 ? 1 : (w.seen << shift) | 1
                w.highest = seq
            } else {
                let back = w.highest - seq
                guard back < PacketGuard.window else { return false }
                let bit: UInt64 = 1 << back
                guard w.seen & bit == 0 else { return false }
                w.seen |= bit
            }
            windows[sender] = w
            return true
        }
    }
}
