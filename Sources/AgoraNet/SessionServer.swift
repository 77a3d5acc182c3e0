import AgoraCrypto
import NIOCore
import NIOPosix

/// Listens for sessions: every accepted connection runs the handshake as responder; the
/// established ones come out of `sessions`, the failed ones out of `failures` (and the
/// `agora_net_session_failures_total` counter). A failing client never stops the server.
public final class SessionServer: Sendable {
    /// The bound port (useful when listening on port 0).
    public let port: Int
    /// The bound host.
    public let host: String
    /// Established sessions, in order of completion. One consumer.
    public let sessions: AsyncStream<Session>
    /// Handshakes that failed (most recent 256 kept when nobody reads them).
    public let failures: AsyncStream<NetError>
    private let channel: any Channel
    private let sessionsContinuation: AsyncStream<Session>.Continuation
    private let failuresContinuation: AsyncStream<NetError>.Continuation

    private init(channel: any Channel, host: String, port: Int, sessions: AsyncStream<Session>.Continuation,
                 sessionStream: AsyncStream<Session>, failures: AsyncStream<NetError>.Continuation,
                 failureStream: AsyncStream<NetError>) {
        self.channel = channel
        self.host = host
        self.port = port
        self.sessionsContinuation = sessions
        self.sessions = sessionStream
        self.failuresContinuation = failures
        self.failures = failureStream
    }

    /// Binds `host:port` (port 0 picks a free port) and starts accepting sessions for
    /// `identity`. Throws `io` when the address cannot be bound.
    public static func start(identity: Identity, host: String = "127.0.0.1", port: Int = 0,
                             configuration: SessionConfiguration = SessionConfiguration(),
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws(NetError) -> SessionServer {
        let address = try NetAddress(host: host, port: port).socketAddress()
        let (sessionStream, sessions) = AsyncStream.makeStream(of: Session.self)
        let (failureStream, failures) = AsyncStream.makeStream(of: NetError.self, bufferingPolicy: .bufferingNewest(256))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let established = channel.eventLoop.makePromise(of: Session.self)
                established.futureResult.whenComplete { result in
                    switch result {
                    case .success(let session): sessions.yield(session)
                    case .failure(let error as NetError): failures.yield(error)
                    case .failure(let error): failures.yield(NetError(.io, "\(error)"))
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SessionHandler(role: .responder, identity: identity, configuration: configuration,
                                       established: established))
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.bind(to: address).get() } catch {
            throw NetError(.io, "cannot listen on \(NetAddress(host: host, port: port)): \(error)")
        }
        return SessionServer(channel: channel, host: host, port: channel.localAddress?.port ?? port,
                             sessions: sessions, sessionStream: sessionStream,
                             failures: failures, failureStream: failureStream)
    }

    /// Stops listening and ends `sessions` and `failures`. Established sessions stay open
    /// until their owners close them.
    public func close() async {
        try? await channel.close()
        sessionsContinuation.finish()
        failuresContinuation.finish()
    }
}
