import AgoraCrypto
import AgoraWire

extension Market {
    /// Message 0x030A (Protocol.md §7.8b): a piece of output text a provider streams to the
    /// requester of a job while generating, on their encrypted session. Unverified until the
    /// result arrives; the requester forwards it to a streaming client only while it extends
    /// what was already streamed.
    public struct StreamPiece: Equatable, Sendable, WireCodable {
        /// Largest text of one piece, in bytes.
        public static let maxTextBytes = 4_096
        /// Largest offset accepted (an output longer than this is not streamed further).
        public static let maxOffset: UInt64 = 1 << 24

        /// The job (the requester's id for it).
        public var jobID: Market.JobID
        /// Byte offset of `text` in the UTF-8 output.
        public var offset: UInt64
        /// UTF-8 text (whole characters).
        public var text: [UInt8]

        /// Canonical encoding.
        public func encode(to w: inout WireWriter) {
            w.raw(jobID.bytes); w.varint(offset); w.bytes(text)
        }

        /// Creates a piece.
        public init(jobID: Market.JobID, offset: UInt64, text: [UInt8]) {
            self.jobID = jobID; self.offset = offset; self.text = text
        }

        /// Decodes a piece.
        public init(from r: inout WireReader) throws(WireError) {
            let id = try r.raw(16, "streamPiece.jobID")
            guard let jobID = Market.JobID(bytes: id) else { throw WireError(.invalidValue, "streamPiece.jobID") }
            self.jobID = jobID
            offset = try r.varint("streamPiece.offset", max: Self.maxOffset)
            text = try r.bytes("streamPiece.text", max: Self.maxTextBytes)
        }
    }

    /// What a requester has streamed to its client for one job, assembled from the pieces of
    /// whichever provider holds the award (after a failover, a new provider's deterministic
    /// output repeats the prefix and carries on).
    public struct StreamAssembly: Equatable, Sendable {
        /// Bytes already handed to the client.
        public private(set) var streamed: [UInt8] = []
        private var byProvider: [PublicKey: [UInt8]] = [:]

        /// Adds a piece from `provider`; returns the new text to hand to the client, if any.
        public mutating func add(_ piece: StreamPiece, from provider: PublicKey) -> String? {
            var buffer = byProvider[provider, default: []]
            guard piece.offset == UInt64(buffer.count) else { return nil }  // out of order or repeated: skip
            buffer += piece.text
            byProvider[provider] = buffer
            guard buffer.count > streamed.count, buffer.starts(with: streamed) else { return nil }
            let fresh = Array(buffer[streamed.count...])
            streamed = buffer
            return String(decoding: fresh, as: UTF8.self)
        }

        /// An empty assembly.
        public init() {}
    }
}
