import AgoraCrypto

extension Ledger {
    /// A checkpoint (signed tree head): the ledger's size and Merkle root at a moment,
    /// in C2SP tlog-checkpoint form (Protocol.md §4.4).
    public struct Checkpoint: Sendable, Hashable {
        /// The ledger (its owner's key).
        public let ledgerID: PublicKey
        /// Number of entries the tree covers.
        public let size: UInt64
        /// RFC 9162 root of the first `size` entries.
        public let root: Digest
        /// Unix time in milliseconds when the owner signed it.
        public let time: Int64

        /// A checkpoint. Throws `malformedCheckpoint` for size 0 with a non-empty root or a
        /// negative time.
        public init(ledgerID: PublicKey, size: UInt64, root: Digest, time: Int64) throws(LedgerError) {
            guard size > 0 || root == MerkleTree.emptyRoot else {
                throw LedgerError(.malformedCheckpoint, "a checkpoint of size 0 must carry the empty-tree root")
            }
            guard time >= 0 else { throw LedgerError(.malformedCheckpoint, "checkpoint time \(time) is negative") }
            self.ledgerID = ledgerID
            self.size = size
            self.root = root
            self.time = time
        }

        /// The origin line (also the signing key's name): `agora.ledger/<hex ledger id>`.
        public var origin: String { Ledger.origin(of: ledgerID) }

        /// The note text: origin, size, base64 root, and the extension line `time <ms>`,
        /// each ending in a newline.
        public var noteText: String {
            "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\ntime \(time)\n"
        }

        /// Signs the checkpoint with the ledger owner's identity. Throws `badSignature` when
        /// `identity` does not own the ledger.
        public func sign(with identity: Identity) throws(LedgerError) -> SignedCheckpoint {
            guard identity.publicKey == ledgerID else {
                throw LedgerError(.badSignature, "identity \(identity.publicKey.short) cannot sign ledger \(ledgerID.short)'s checkpoint")
            }
            let text = Array(noteText.utf8)
            let signature: Signature
            do { signature = try identity.signNote(text) } catch {
                throw LedgerError(.malformedCheckpoint, "cannot sign checkpoint text: \(error)")
            }
            let line = SignedNote.SignatureLine(name: origin, keyHash: SignedNote.keyHash(name: origin, key: ledgerID),
                                                signature: signature.bytes)
            return SignedCheckpoint(checkpoint: self, signature: signature, note: text + [0x0A] + Array(line.text.utf8))
        }

        /// Parses note text (without signatures) in its one canonical form.
        static func parse(text: [UInt8]) throws(LedgerError) -> Checkpoint {
            let lines = text.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
            guard lines.count == 4 else {
                throw LedgerError(.malformedCheckpoint, "checkpoint text has \(lines.count) lines, expected 4 (origin, size, root, time)")
            }
            let origin = String(decoding: lines[0], as: UTF8.self)
            guard origin.hasPrefix(Ledger.originPrefix) else {
                throw LedgerError(.malformedCheckpoint, "origin \"\(origin.prefix(80))\" does not start with \(Ledger.originPrefix)")
            }
            let keyHex = origin.dropFirst(Ledger.originPrefix.count)
            guard keyHex.count == 64, let id = try? PublicKey(hex: String(keyHex)) else {
                throw LedgerError(.malformedCheckpoint, "origin does not end with a 64-digit hex ledger id")
            }
            guard let size = decimal(lines[1]) else {
                throw LedgerError(.malformedCheckpoint, "tree size line is not a decimal number")
            }
            guard let rootBytes = try? Base64.decode(String(decoding: lines[2], as: UTF8.self)), rootBytes.count == 32,
                  let root = try? Digest(bytes: rootBytes) else {
                throw LedgerError(.malformedCheckpoint, "root line is not the base64 of 32 bytes")
            }
            let timeLine = lines[3]
            guard timeLine.starts(with: Array("time ".utf8)), let t = decimal(timeLine.dropFirst(5)), t <= UInt64(Int64.max) else {
                throw LedgerError(.malformedCheckpoint, "extension line is not \"time <unix ms>\"")
            }
            let checkpoint = try Checkpoint(ledgerID: id, size: size, root: root, time: Int64(t))
            guard Array(checkpoint.noteText.utf8) == text else {
                throw LedgerError(.malformedCheckpoint, "checkpoint text is not in canonical form")
            }
            return checkpoint
        }

        /// A decimal with no sign and no leading zeros, fitting in 64 bits.
        private static func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
            guard !digits.isEmpty, digits.count <= 20, digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
            var v: UInt64 = 0
            for d in digits {
                guard d >= 0x30, d <= 0x39 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d - 0x30))
                guard !o1, !o2 else { return nil }
                v = a
            }
            return v
        }
    }

    /// A checkpoint with its owner's signature, holding the exact note bytes it was parsed
    /// from. Every value of this type has a verified signature.
    public struct SignedCheckpoint: Sendable, Hashable {
        /// The checkpoint.
        public let checkpoint: Checkpoint
        /// The owner's Ed25519 signature over the note text.
        public let signature: Signature
        /// The full signed note (text, blank line, signature lines) as UTF-8 bytes.
        public let note: [UInt8]

        init(checkpoint: Checkpoint, signature: Signature, note: [UInt8]) {
            self.checkpoint = checkpoint
            self.signature = signature
            self.note = note
        }

        /// Parses a signed note and verifies the ledger owner's signature (the line whose
        /// name is the origin and whose key hash matches the ledger id; other signature lines
        /// are ignored, as C2SP requires). Throws `malformedCheckpoint` or `badSignature`.
        public init(note: [UInt8]) throws(LedgerError) {
            let (text, lines) = try SignedNote.split(note)
            let checkpoint = try Checkpoint.parse(text: text)
            let name = checkpoint.origin
            let keyHash = SignedNote.keyHash(name: name, key: checkpoint.ledgerID)
            guard let line = lines.first(where: { $0.name == name && $0.keyHash == keyHash }) else {
                throw LedgerError(.badSignature, "checkpoint carries no signature by its ledger key \(checkpoint.ledgerID.short)")
            }
            guard let signature = try? Signature(bytes: line.signature),
                  checkpoint.ledgerID.isValidNoteSignature(signature, for: text) else {
                throw LedgerError(.badSignature, "checkpoint signature does not verify under ledger key \(checkpoint.ledgerID.short)")
            }
            self.init(checkpoint: checkpoint, signature: signature, note: note)
        }

        /// Parses and verifies a signed note given as text.
        public init(text: String) throws(LedgerError) { try self.init(note: Array(text.utf8)) }

        /// The signed note as text.
        public var text: String { String(decoding: note, as: UTF8.self) }
    }
}

/// A signed checkpoint (shorthand for `Ledger.SignedCheckpoint`).
public typealias SignedCheckpoint = Ledger.SignedCheckpoint
