/// Length-prefixed frames for TCP streams (Protocol.md, "Frames"): a 4-byte big-endian
/// length, then that many bytes (one envelope, or one encrypted session record). A
/// length above `maxFrame` is an error before any byte of the body is buffered.
public struct FrameDecoder: Sendable {
    /// The default hard maximum frame body.
    public static let defaultMaxFrame = Envelope.maxPayload + 64
    /// The largest frame body accepted.
    public let maxFrame: Int
    private var buffer: [UInt8] = []

    /// A decoder with the given bound.
    public init(maxFrame: Int = FrameDecoder.defaultMaxFrame) { self.maxFrame = maxFrame }

    /// Prefixes `body` with its length.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        var w = WireWriter(capacity: body.count + 4)
        w.uint32(UInt32(body.count))
        w.raw(body)
        return w.bytes
    }

    /// Feeds received bytes and returns every complete frame body now available.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(WireError) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var start = 0
        while buffer.count - start >= 4 {
            let len = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard len <= maxFrame else {
                buffer.removeAll()
                throw WireError(.oversized, "frame of \(len) bytes exceeds the limit \(maxFrame)")
            }
            guard buffer.count - start - 4 >= len else { break }
            frames.append(Array(buffer[(start + 4)..<(start + 4 + len)]))
            start += 4 + len
        }
        if start > 0 { buffer.removeFirst(start) }
        return frames
    }

    /// Bytes buffered towards an incomplete frame.
    public var pending: Int { buffer.count }
}
