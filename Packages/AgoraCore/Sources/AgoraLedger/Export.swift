import AgoraCrypto
import AgoraWire

extension Ledger {
    /// The ledger export file format (Protocol.md §4.7): a header, the latest signed
    /// checkpoint as `u32 length ‖ note` (length 0 when there is none), then the entries as
    /// `u32 length ‖ entry bytes`. The checkpoint comes first so a reader can verify the
    /// file in one streaming pass.
    public enum Export {
        /// The 13-byte magic at the start of every export file: `agora-ledger\n`.
        public static let magic: [UInt8] = Array("agora-ledger\n".utf8)
        /// The export format version.
        public static let version: UInt8 = 1
        /// Header size in bytes: magic, version, ledger id, entry count.
        public static let headerSize = 13 + 1 + 32 + 8

        /// The fixed-size header.
        public struct Header: Sendable, Equatable {
            /// The ledger exported.
            public let ledgerID: PublicKey
            /// Number of entries that follow (seq 0 to count − 1).
            public let count: UInt64

            /// A header.
            public init(ledgerID: PublicKey, count: UInt64) {
                self.ledgerID = ledgerID
                self.count = count
            }

            /// The header's bytes.
            public var encoded: [UInt8] {
                var w = WireWriter(capacity: headerSize)
                w.raw(magic)
                w.uint8(version)
                w.raw(ledgerID.bytes)
                w.uint64(count)
                return w.bytes
            }

            /// Decodes the first `headerSize` bytes of a file.
            public init(bytes: [UInt8]) throws(LedgerError) {
                guard bytes.count >= headerSize else {
                    throw LedgerError(.malformedExport, "file is \(bytes.count) bytes, shorter than the \(headerSize)-byte header")
                }
                guard Array(bytes.prefix(13)) == magic else {
                    throw LedgerError(.malformedExport, "not an Agora ledger export (bad magic)")
                }
                guard bytes[13] == version else {
                    throw LedgerError(.malformedExport, "export version \(bytes[13]) is not supported")
                }
                var r = WireReader(Array(bytes[14..<headerSize]))
                do {
                    ledgerID = try PublicKey(bytes: try r.raw(32, "ledger id"))
                    count = try r.uint64("count")
                } catch {
                    throw LedgerError(.malformedExport, "header: \(error)")
                }
            }
        }

        /// Encodes a length prefix.
        public static func lengthPrefix(_ n: Int) -> [UInt8] {
            var w = WireWriter(capacity: 4)
            w.uint32(UInt32(n))
            return w.bytes
        }

        /// Reads a 4-byte length prefix and checks it against `max`.
        public static func length(_ bytes: ArraySlice<UInt8>, max: Int, what: String) throws(LedgerError) -> Int {
            guard bytes.count == 4 else { throw LedgerError(.malformedExport, "\(what): length prefix truncated") }
            let n = Int(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard n <= max else { throw LedgerError(.malformedExport, "\(what): length \(n) exceeds the limit \(max)") }
            return n
        }

        /// Encodes a whole export in memory.
        public static func encode(ledgerID: PublicKey, entries: [[UInt8]], checkpoint: SignedCheckpoint?) -> [UInt8] {
            var out = Header(ledgerID: ledgerID, count: UInt64(entries.count)).encoded
            let note = checkpoint?.note ?? []
            out += lengthPrefix(note.count) + note
            for e in entries { out += lengthPrefix(e.count) + e }
            return out
        }

        /// Decodes a whole export held in memory: header, entry bytes (not yet verified:
        /// feed them to a `Verifier`) and the checkpoint (signature verified).
        public static func decode(_ bytes: [UInt8]) throws(LedgerError) -> (Header, [[UInt8]], SignedCheckpoint?) {
            let header = try Header(bytes: bytes)
            var at = headerSize
            guard at + 4 <= bytes.count else { throw LedgerError(.malformedExport, "checkpoint length missing") }
            let c = try length(bytes[at..<at + 4], max: Ledger.maxCheckpointSize, what: "checkpoint")
            at += 4
            guard at + c <= bytes.count else { throw LedgerError(.malformedExport, "checkpoint is cut short") }
            let checkpoint = c == 0 ? nil : try SignedCheckpoint(note: Array(bytes[at..<at + c]))
            at += c
            var entries: [[UInt8]] = []
            var i: UInt64 = 0
            while i < header.count {
                guard at + 4 <= bytes.count else {
                    throw LedgerError(.truncated, "file ends after \(i) of \(header.count) entries", seq: i)
                }
                let n = try length(bytes[at..<at + 4], max: Ledger.maxEntrySize, what: "entry \(i)")
                at += 4
                guard at + n <= bytes.count else {
                    throw LedgerError(.truncated, "entry \(i) is cut short", seq: i)
                }
                entries.append(Array(bytes[at..<at + n]))
                at += n
                i += 1
            }
            guard at == bytes.count else {
                throw LedgerError(.malformedExport, "\(bytes.count - at) bytes after the last entry")
            }
            return (header, entries, checkpoint)
        }
    }
}
