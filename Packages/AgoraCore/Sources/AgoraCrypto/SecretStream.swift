import CSodium

/// An encrypted, ordered record stream in one direction (libsodium's
/// `crypto_secretstream_xchacha20poly1305`): the `Sender` seals records with a 32-byte key
/// and publishes a 24-byte header; a `Receiver` with the same key and header opens them in
/// order. Each record carries a MAC and an implicit counter, so a tampered, dropped,
/// replayed or reordered record fails to open. A record tagged final ends the stream:
/// a receiver that never saw one knows the stream was truncated.
public enum SecretStream {
    /// Key length in bytes.
    public static let keyBytes = Int(crypto_secretstream_xchacha20poly1305_keybytes())
    /// Header length in bytes.
    public static let headerBytes = Int(crypto_secretstream_xchacha20poly1305_headerbytes())
    /// Bytes each record adds to its plaintext (tag and MAC).
    public static let overhead = Int(crypto_secretstream_xchacha20poly1305_abytes())

    /// An opened record.
    public struct Record: Equatable, Sendable {
        /// The plaintext.
        public let plaintext: [UInt8]
        /// Whether the sender marked this as the stream's last record.
        public let isFinal: Bool
    }

    /// The sending half: seals records in order. One owner at a time (not thread-safe).
    public final class Sender {
        /// The header a receiver needs to open this stream (not secret).
        public let header: [UInt8]
        private let state = StreamState()

        /// Starts a stream under `key` (32 bytes) with a fresh random header.
        public init(key: SecureBytes) throws(CryptoError) {
            try Sodium.ready()
            guard key.count == SecretStream.keyBytes else {
                throw CryptoError(.invalidLength, "secretstream key must be \(SecretStream.keyBytes) bytes, got \(key.count)")
            }
            var header = [UInt8](repeating: 0, count: SecretStream.headerBytes)
            let state = self.state
            key.withUnsafeBytes { k in
                _ = crypto_secretstream_xchacha20poly1305_init_push(
                    state.pointer, &header, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            self.header = header
        }

        /// Seals the next record; `final` marks the end of the stream.
        public func seal(_ plaintext: [UInt8], final: Bool = false) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: plaintext.count + SecretStream.overhead)
            let tag = final ? UInt8(crypto_secretstream_xchacha20poly1305_tag_final())
                            : UInt8(crypto_secretstream_xchacha20poly1305_tag_message())
            _ = crypto_secretstream_xchacha20poly1305_push(
                state.pointer, &out, nil, plaintext, UInt64(plaintext.count), nil, 0, tag)
            return out
        }
    }

    /// The receiving half: opens records in the order they were sealed. One owner at a
    /// time (not thread-safe).
    public final class Receiver {
        private let state = StreamState()
        /// Whether the final record has been opened; any later record is rejected.
        public private(set) var isFinished = false

        /// Opens the stream that `header` starts, under `key` (32 bytes).
        public init(key: SecureBytes, header: [UInt8]) throws(CryptoError) {
            try Sodium.ready()
            guard key.count == SecretStream.keyBytes else {
                throw CryptoError(.invalidLength, "secretstream key must be \(SecretStream.keyBytes) bytes, got \(key.count)")
            }
            guard header.count == SecretStream.headerBytes else {
                throw CryptoError(.invalidLength, "secretstream header must be \(SecretStream.headerBytes) bytes, got \(header.count)")
            }
            let state = self.state
            let rc = key.withUnsafeBytes { k in
                crypto_secretstream_xchacha20poly1305_init_pull(
                    state.pointer, header, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard rc == 0 else { throw CryptoError(.decryptionFailed, "invalid secretstream header") }
        }

        /// Opens the next record. Throws `decryptionFailed` for a record that was tampered
        /// with, replayed, reordered, sealed under another key, or sent after the final one.
        public func open(_ ciphertext: [UInt8]) throws(CryptoError) -> Record {
            guard !isFinished else { throw CryptoError(.decryptionFailed, "record after the final record of the stream") }
            guard ciphertext.count >= SecretStream.overhead else {
                throw CryptoError(.decryptionFailed, "record of \(ciphertext.count) bytes is shorter than the \(SecretStream.overhead)-byte overhead")
            }
            var out = [UInt8](repeating: 0, count: ciphertext.count - SecretStream.overhead)
            var tag: UInt8 = 0
            let rc = crypto_secretstream_xchacha20poly1305_pull(
                state.pointer, &out, nil, &tag, ciphertext, UInt64(ciphertext.count), nil, 0)
            guard rc == 0 else {
                throw CryptoError(.decryptionFailed, "record does not authenticate (tampered, replayed, reordered or wrong key)")
            }
            let final = tag == UInt8(crypto_secretstream_xchacha20poly1305_tag_final())
            if final { isFinished = true }
            return Record(plaintext: out, isFinal: final)
        }
    }
}

/// A secretstream state in `sodium_malloc` memory (it holds the stream key), zeroed and
/// freed with its owner.
private final class StreamState {
    let pointer: UnsafeMutablePointer<crypto_secretstream_xchacha20poly1305_state>

    init() {
        Sodium.mustBeReady()
        let size = MemoryLayout<crypto_secretstream_xchacha20poly1305_state>.size
        guard let raw = sodium_malloc(size) else { fatalError("sodium_malloc(\(size)) failed: out of memory") }
        pointer = raw.bindMemory(to: crypto_secretstream_xchacha20poly1305_state.self, capacity: 1)
    }

    deinit { sodium_free(pointer) }
}
