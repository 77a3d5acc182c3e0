import AgoraCrypto
import AgoraWire
import NIOCore
import NIOPosix
import Testing
@testable import AgoraNet

/// The initiator against servers that are not Agora nodes: each attempt fails with a
/// typed error, within the handshake timeout.
@Suite(.timeLimit(.minutes(1))) struct SessionClientTests {
    /// Writes fixed bytes to every accepted connection, then reads and ignores input.
    final class FixedReply: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func channelActive(context: ChannelHandlerContext) {
            if !bytes.isEmpty { context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil) }
        }
    }

    func withFakeServer(replying bytes: [UInt8], _ body: (Int) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FixedReply(bytes)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        try await body(port)
        try await server.close()
    }

    @Test(arguments: [
        ([], NetError.Code.handshakeTimeout),                                          // silent server
        (Array("SSH-2.0-OpenSSH_9.2\r\n".utf8), .oversizedFrame),                      // another protocol
        (FrameDecoder.frame(Envelope(type: .handshakeReply, payload: [1, 2]).encoded()), .malformedHandshake),
        (FrameDecoder.frame(Envelope(type: .handshakeReply, payload: SecureRandom.bytes(144)).encoded()), .decryptionFailed),
    ] as [([UInt8], NetError.Code)])
    func foreignServersFailTheConnectWithATypedError(reply: [UInt8], code: NetError.Code) async throws {
        var configuration = SessionConfiguration()
        configuration.handshakeTimeout = .milliseconds(400)
        try await withFakeServer(replying: reply) { port in
            await expectNetError(code) {
                _ = try await SessionClient.connect(to: "127.0.0.1", port: port, identity: .generate(), configuration: configuration)
            }
        }
    }
}
