/// The outer shape of every Agora message (Protocol.md, "Envelope"):
///
///     version  u8   = 1
///     type     u16  big-endian MessageType
///     flags    u8   bit 0: payload is zstd-compressed; other bits must be 0
///     payload  varint length ‖ bytes
///
/// Decoding rejects an unknown version, an unknown type, unknown flags, an oversize
/// payload and trailing bytes.
public struct Envelope: Equatable, Sendable {
    /// The protocol version this build speaks.
    public static let currentVersion: UInt8 = 1
    /// Payloads at least this large are compressed when encoding.
    public static let compressionThreshold = 1024
    /// The largest payload (after decompression) any message may carry.
    public static let maxPayload = 4 << 20

    /// Protocol version.
    public var version: UInt8
    /// Message type.
    public var type: MessageType
    /// The (uncompressed) payload.
    public var payload: [UInt8]

    /// An envelope at the current version.
    public init(type: MessageType, payload: [UInt8]) {
        self.version = Envelope.currentVersion
        self.type = type
        self.payload = payload
    }

    /// Encodes; payloads of `compressionThreshold` bytes or more are zstd-compressed when
    /// that makes them smaller (and `compress` is true).
    public func encoded(compress: Bool = true) -> [UInt8] {
        var w = WireWriter(capacity: payload.count + 16)
        w.uint8(version)
        w.uint16(type.rawValue)
        if compress, payload.count >= Envelope.compressionThreshold,
           let z = try? Zstd.compress(payload), z.count < payload.count {
            w.uint8(1)
            w.bytes(z)
        } else {
            w.uint8(0)
            w.bytes(payload)
        }
        return w.bytes
    }

    /// Decodes an envelope, decompressing its payload with a hard cap of `maxPayload`.
    public init(decoding bytes: [UInt8], maxPayload: Int = Envelope.maxPayload) throws(WireError) {
        var r = WireReader(bytes)
        let v = try r.uint8("envelope.version")
        guard v == Envelope.currentVersion else {
            throw WireError(.unknownVersion, "envelope version \(v); this node speaks \(Envelope.currentVersion)", offset: 0)
        }
        let t = try r.uint16("envelope.type")
        guard let type = MessageType(rawValue: t) else {
            throw WireError(.unknownType, "message type 0x\(String(t, radix: 16))", offset: 1)
        }
        let flags = try r.uint8("envelope.flags")
        guard flags & ~1 == 0 else { throw WireError(.invalidValue, "unknown envelope flags 0x\(String(flags, radix: 16))", offset: 3) }
        let body = try r.bytes("envelope.payload", max: maxPayload)
        try r.expectEnd("envelope")
        self.version = v
        self.type = type
        self.payload = flags & 1 == 1 ? try Zstd.decompress(body, maxSize: maxPayload) : body
    }

    /// Decodes and checks the type is `expected`.
    public static func decode(_ bytes: [UInt8], expecting expected: MessageType) throws(WireError) -> Envelope {
        let e = try Envelope(decoding: bytes)
        guard e.type == expected else { throw WireError(.unknownType, "expected \(expected), got \(e.type)") }
        return e
    }
}
