import AgoraCrypto
import AgoraWire

extension Market {
    /// A job's identifier: 16 random bytes chosen by the requester. Unique per requester;
    /// every message of a job names it, and replays are detected per job.
    public struct JobID: Hashable, Comparable, Sendable, CustomStringConvertible, WireCodable {
        /// The 16 bytes.
        public let bytes: [UInt8]

        /// Wraps 16 bytes; nil for any other length.
        public init?(bytes: [UInt8]) {
            guard bytes.count == 16 else { return nil }
            self.bytes = bytes
        }

        init(unchecked bytes: [UInt8]) { self.bytes = bytes }

        /// Lowercase hex.
        public var hex: String { Hex.encode(bytes) }
        public var description: String { String(hex.prefix(8)) }

        public static func < (a: JobID, b: JobID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

        public func encode(to writer: inout WireWriter) { writer.raw(bytes) }

        public init(from reader: inout WireReader) throws(WireError) {
            bytes = try reader.raw(16, "jobID")
        }
    }
}
