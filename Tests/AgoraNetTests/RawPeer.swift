import AgoraCrypto
import AgoraWire
import NIOCore
import NIOPosix
import Testing
@testable import AgoraNet

/// A raw TCP peer for the hostile-input tests: it writes whatever bytes a test wants and
/// can run the real handshake by hand, so it can misbehave after authenticating.
final class RawConnection {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var reader = FrameReader(maxFrame: 8 << 20)

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects to a local port and runs `body`; the connection closes when it returns.
    static func with(port: Int, _ body: (RawConnection) async throws -> Void) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { ch in
                ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
            }
        try await channel.executeThenClose { inbound, outbound in
            try await body(RawConnection(inbound: inbound, outbound: outbound))
        }
    }

    func send(_ bytes: [UInt8]) async throws { try await outbound.write(ByteBuffer(bytes: bytes)) }

    func sendFrame(_ body: [UInt8]) async throws { try await send(FrameDecoder.frame(body)) }

    /// The next frame body, or nil once the peer closed.
    func readFrame() async throws -> [UInt8]? {
        while true {
            if let frame = try reader.next() { return frame }
            guard var bytes = try await iterator.next() else { return nil }
            reader.append(&bytes)
        }
    }

    /// Reads until the peer closes the connection; true when it did.
    func peerCloses() async -> Bool {
        do { while try await iterator.next() != nil {} } catch {}
        return true
    }

    /// Runs the handshake as initiator (optionally signing with a forger's key) and
    /// exchanges stream headers; returns the record layer for crafting records.
    func authenticate(as identity: Identity) async throws -> RecordLayer {
        var machine = HandshakeStateMachine(role: .initiator(expectedPeer: nil), identity: identity)
        for case .send(let body) in machine.start() { try await sendFrame(body) }
        let reply = try #require(try await readFrame())
        var keys: SessionKeys?
        for action in machine.receive(reply) {
            switch action {
            case .send(let body): try await sendFrame(body)
            case .established(let k): keys = k
            case .fail(let error): throw error
            }
        }
        let layer = try RecordLayer(keys: try #require(keys))
        try await sendFrame(layer.headerFrame)
        _ = try layer.receive(try #require(try await readFrame()))
        return layer
    }
}

/// Expects `body` to throw a `NetError` with `code`.
func expectNetError(_ code: NetError.Code, _ body: () async throws -> Void,
                    sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected NetError.\(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as NetError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected NetError.\(code), got \(error)", sourceLocation: sourceLocation)
    }
}
