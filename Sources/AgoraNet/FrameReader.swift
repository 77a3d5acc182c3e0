import NIOCore

/// Splits a TCP byte stream into `u32 length ‖ body` frames (Protocol.md §3), one at a
/// time, under a limit the caller may change between frames: small during the handshake,
/// large once the session is authenticated. A length above the limit is an error before
/// any of the body is buffered.
struct FrameReader {
    /// The largest frame body accepted now.
    var maxFrame: Int
    private var buffer: ByteBuffer

    init(maxFrame: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.maxFrame = maxFrame
        self.buffer = allocator.buffer(capacity: 0)
    }

    /// Appends received bytes.
    mutating func append(_ bytes: inout ByteBuffer) {
        buffer.writeBuffer(&bytes)
    }

    /// The next complete frame body, or nil when more bytes are needed.
    mutating func next() throws(NetError) -> [UInt8]? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length <= maxFrame else {
            throw NetError(.oversizedFrame, "frame of \(length) bytes exceeds the limit of \(maxFrame)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readBytes(length: Int(length)) ?? []
        if buffer.readableBytes == 0 { buffer.clear() } else if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
        return body
    }

    /// Bytes buffered towards an incomplete frame.
    var pending: Int { buffer.readableBytes }
}
