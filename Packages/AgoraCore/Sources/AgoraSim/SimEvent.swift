import AgoraCrypto
import AgoraGossip

extension Sim {
    /// A scripted fault or command.
    public enum Action: Sendable {
        /// The node stops: no more input, timers lost.
        case crash(Int)
        /// A crashed node starts again with a fresh instance at a higher incarnation and
        /// rejoins through a push-pull with a random live node.
        case restart(Int)
        /// The node processes nothing until `until` (ns), then handles the backlog in order.
        case stall(Int, until: Int64)
        /// Datagrams and push-pulls between nodes of different groups are dropped.
        case partition([UInt16])
        /// Ends any partition.
        case heal
        /// Gives the node a command (e.g. a new record, a leave).
        case command(Int, Gossip.Command)
    }

    enum Payload {
        case datagram(Gossip.Datagram, from: Int, fromAddress: Gossip.Address, to: Int)
        case packet([UInt8], fromAddress: Gossip.Address, to: Int)
        case pushPull(Gossip.PushPull, fromAddress: Gossip.Address, to: Int, failTo: Int)
        case streamPing(seq: UInt64, target: NodeID, fromAddress: Gossip.Address, to: Int)
        case streamAck(seq: UInt64, to: Int)
        case timer(Int, Gossip.Timer, generation: Int)
        case action(Action)
    }

    /// A queued event's place in the heap (the payload lives in a side table).
    struct Slot: Comparable {
        var time: Int64
        var seq: UInt64
        var slot: Int32

        static func < (a: Slot, b: Slot) -> Bool { a.time != b.time ? a.time < b.time : a.seq < b.seq }
        static func == (a: Slot, b: Slot) -> Bool { a.time == b.time && a.seq == b.seq }
    }

    struct Event {
        var time: Int64
        var seq: UInt64
        var payload: Payload

        /// The node the event is delivered to, if any.
        var target: Int? {
            switch payload {
            case .datagram(_, _, _, let to), .packet(_, _, let to), .pushPull(_, _, let to, _),
                 .streamPing(_, _, _, let to), .streamAck(_, let to): to
            case .timer(let n, _, _): n
            case .action: nil
            }
        }
    }

    /// Per-node traffic counters (bytes include packet headers and the 64-byte signature).
    public struct Traffic: Sendable {
        /// Datagram bytes sent.
        public var datagramBytesSent = 0
        /// Datagram bytes received.
        public var datagramBytesReceived = 0
        /// Datagrams sent.
        public var datagramsSent = 0
        /// Push-pull and stream-ping bytes sent (envelope payload, both directions counted at the sender).
        public var streamBytesSent = 0
        /// Push-pull and stream-ping bytes received.
        public var streamBytesReceived = 0
    }
}
