import AgoraCrypto
import AgoraWire

/// The signed part of a market message: its fields, the domain it is signed in, the
/// envelope type it travels as, and the key that must have signed it.
public protocol MarketSignedBody: WireCodable, Equatable, Sendable {
    /// The signature domain (Protocol.md §1).
    static var domain: SignatureDomain { get }
    /// The envelope message type.
    static var messageType: MessageType { get }
    /// The key whose signature the body needs (the requester for an award, the provider
    /// for a bid, …).
    var signer: PublicKey { get }
}

extension Market {
    /// A signed market message: `bytes(body) ‖ sig64` (Protocol.md §7.1). The exact body
    /// bytes received are kept, and the signature is checked over them, never over a
    /// re-encoding.
    public struct Signed<Body: MarketSignedBody>: Equatable, Sendable {
        /// The decoded body.
        public let body: Body
        /// The canonical body bytes the signature covers.
        public let bodyBytes: [UInt8]
        /// Ed25519 signature by `body.signer` in `Body.domain`.
        public let signature: Signature

        /// Signs `body` with `identity`, which must be `body.signer` (a programming error
        /// otherwise: the instance only signs bodies naming itself).
        public init(signing body: Body, with identity: Identity) {
            precondition(body.signer == identity.publicKey, "a market body must be signed by the key it names")
            self.body = body
            self.bodyBytes = body.wireBytes
            self.signature = identity.sign(bodyBytes, in: Body.domain)
        }

        /// Decodes an envelope payload. Does not check the signature (`isValid` does).
        public init(payload: [UInt8]) throws(WireError) {
            var r = WireReader(payload)
            let b = try r.bytes("\(Body.self).body", max: Envelope.maxPayload)
            let sig = try r.signature("\(Body.self).signature")
            try r.expectEnd("\(Body.self)")
            self.body = try Body(wireBytes: b)
            self.bodyBytes = b
            self.signature = sig
        }

        /// Decodes a whole envelope of type `Body.messageType`.
        public init(envelope bytes: [UInt8]) throws(WireError) {
            let e = try Envelope.decode(bytes, expecting: Body.messageType)
            try self.init(payload: e.payload)
        }

        /// Re-assembles a message from parts (tests use it to forge signatures).
        public init(body: Body, bodyBytes: [UInt8], signature: Signature) {
            self.body = body
            self.bodyBytes = bodyBytes
            self.signature = signature
        }

        /// The envelope payload: `bytes(body) ‖ signature`.
        public var payload: [UInt8] {
            var w = WireWriter(capacity: bodyBytes.count + 72)
            w.bytes(bodyBytes)
            w.signature(signature)
            return w.bytes
        }

        /// The full envelope bytes. Never compressed: the large fields of market messages are
        /// ciphertext, which zstd cannot shrink, and trying costs more than signing.
        public var envelope: [UInt8] { message.encoded(compress: false) }

        /// The message carrying this signed body.
        public var message: Envelope { Envelope(type: Body.messageType, payload: payload) }

        /// Whether the signature verifies under `body.signer`.
        public var isValid: Bool { body.signer.isValidSignature(signature, for: bodyBytes, in: Body.domain) }

        /// SHA-256 of the body bytes: how later messages refer to this one.
        public var digest: Digest { SHA256.hash(bodyBytes) }
    }
}
