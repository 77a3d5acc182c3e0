import AgoraJob
import AgoraWire
import AgoraCrypto

extension Market {
    /// Salted commitments: what messages and ledger bodies carry instead of prompts and
    /// outputs. `SHA-256(salt ‖ text)` with a fresh 32-byte salt known only to the
    /// requester and the provider (and a validator the requester shows it to), so a
    /// dictionary of likely prompts cannot reverse it.
    public enum Commitment {
        /// Salt length in bytes.
        public static let saltLength = 32

        /// The commitment to `text` under `salt`.
        public static func commit(_ text: [UInt8], salt: [UInt8]) -> Digest {
            SHA256.hash(parts: [salt, text])
        }

        /// The salted hash of output token ids: `SHA-256(salt ‖ "tokens" ‖ id₀ … idₙ₋₁)`,
        /// each id a u32 big-endian.
        public static func tokens(_ ids: [UInt32], salt: [UInt8]) -> Digest {
            SHA256.hash(parts: [salt, Array("tokens".utf8), bigEndian(ids)])
        }

        /// The salted hash of output token ids and, when the job asked for them, their logprobs:
        /// `tokens(ids, salt)` without logprobs, else
        /// `SHA-256(salt ‖ "tokens" ‖ id₀ … idₙ₋₁ ‖ "logprobs" ‖ logprobs)`, the logprobs as the
        /// output payload encodes them (a list of `TokenLogprob`).
        public static func tokens(_ ids: [UInt32], logprobs: [TokenLogprob], salt: [UInt8]) -> Digest {
            guard !logprobs.isEmpty else { return tokens(ids, salt: salt) }
            var w = WireWriter()
            w.array(logprobs) { $0.value($1) }
            return SHA256.hash(parts: [salt, Array("tokens".utf8), bigEndian(ids), Array("logprobs".utf8), w.bytes])
        }

        private static func bigEndian(_ ids: [UInt32]) -> [UInt8] {
            var b = [UInt8]()
            b.reserveCapacity(ids.count * 4)
            for t in ids {
                b.append(UInt8(t >> 24)); b.append(UInt8((t >> 16) & 0xff))
                b.append(UInt8((t >> 8) & 0xff)); b.append(UInt8(t & 0xff))
            }
            return b
        }
    }
}
