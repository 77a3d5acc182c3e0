import AgoraCrypto
import NIOCore
import NIOPosix

/// Opens sessions to other nodes.
public enum SessionClient {
    /// Connects to `host:port`, runs the handshake as initiator proving `identity`, and
    /// returns the established session. With `expectedPeer`, a responder proving any other
    /// node id fails with `wrongPeer`. Failures are `NetError`s: `io` (cannot connect),
    /// `handshakeTimeout`, `badSignature`, `decryptionFailed`, `malformedHandshake`,
    /// `connectionClosed` (the responder refused us).
    public static func connect(to host: String, port: Int, identity: Identity, expectedPeer: NodeID? = nil,
                               configuration: SessionConfiguration = SessionConfiguration(),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws(NetError) -> Session {
        let address = try NetAddress(host: host, port: port).socketAddress()
        let loop = group.next()
        let established = loop.makePromise(of: Session.self)
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(configuration.handshakeTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SessionHandler(role: .initiator(expectedPeer: expectedPeer), identity: identity,
                                       configuration: configuration, established: established))
                }
            }
        do {
            _ = try await bootstrap.connect(to: address).get()
        } catch {
            let netError = NetError(.io, "cannot connect to \(NetAddress(host: host, port: port)): \(error)")
            established.fail(netError)
            NetMetrics(factory: configuration.metricsFactory).sessionFailed(.io)
            throw netError
        }
        do {
            return try await established.futureResult.get()
        } catch let error as NetError {
            throw error
        } catch {
            throw NetError(.io, "\(error)")
        }
    }
}
