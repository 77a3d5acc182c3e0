import AgoraCrypto
import AgoraNet
import AgoraWire
import Logging

/// The node's encrypted TCP sessions: one listening server, at most one open session per
/// peer (reused in both directions), and a reader per session that hands each envelope to
/// the node's router. One-off request/reply exchanges (gossip push-pull) use a session of
/// their own.
actor SessionPool {
    /// Where inbound envelopes go: the router answers on `session` if it needs to.
    typealias Router = @Sendable (Envelope, Session) async -> Void

    private let identity: Identity
    private let logger: Logger
    private var server: SessionServer?
    private var byPeer: [NodeID: Session] = [:]
    private var connecting: [NodeID: Task<Session, any Error>] = [:]
    private var router: Router = { _, _ in }

    init(identity: Identity, logger: Logger) {
        self.identity = identity
        self.logger = logger
    }

    /// Starts listening on `host:port`; throws a `NodeError` naming the port if it is taken.
    func listen(host: String, port: Int) async throws -> Int {
        do {
            let server = try await SessionServer.start(identity: identity, host: host, port: port)
            self.server = server
            Task { await self.accept(server) }
            return server.port
        } catch {
            throw NodeError(.portInUse, "port \(host):\(port) (TCP, peer sessions) is in use or cannot be bound: \(error)")
        }
    }

    /// Sets where inbound envelopes go (until then they are dropped).
    func setRouter(_ router: @escaping Router) {
        self.router = router
    }

    private func accept(_ server: SessionServer) async {
        for await session in server.sessions {
            adopt(session)
        }
    }

    private func adopt(_ session: Session) {
        // Keep the newest session per peer; the older one finishes its reader and closes.
        byPeer[session.remoteNodeID] = session
        Task {
            do {
                for try await envelope in session.inbound {
                    await self.router(envelope, session)
                }
            } catch {
                NodeMetrics.sessionErrors.increment()
                self.logger.debug("session ended", metadata: ["peer": "\(session.remoteNodeID.short)", "error": "\(error)"])
            }
            self.forget(session)
        }
    }

    private func forget(_ session: Session) {
        if byPeer[session.remoteNodeID] === session { byPeer[session.remoteNodeID] = nil }
    }

    /// Sends `envelope` to `peer`, reusing an open session or connecting to `address`.
    func send(_ envelope: Envelope, to peer: NodeID, host: String, port: Int) async throws {
        let session = try await session(to: peer, host: host, port: port)
        do {
            try await session.send(envelope)
        } catch {
            // A stale session: drop it and try once more on a fresh one.
            forget(session)
            let fresh = try await self.session(to: peer, host: host, port: port)
            try await fresh.send(envelope)
        }
    }

    private func session(to peer: NodeID, host: String, port: Int) async throws -> Session {
        if let s = byPeer[peer] { return s }
        if let pending = connecting[peer] { return try await pending.value }
        let identity = self.identity
        let task = Task { try await SessionClient.connect(to: host, port: port, identity: identity, expectedPeer: peer) }
        connecting[peer] = task
        defer { connecting[peer] = nil }
        let s = try await task.value
        adopt(s)
        return s
    }

    /// Opens a one-off session to `host:port`, sends `envelope` and returns the first reply
    /// of type `expecting` (gossip push-pull, where only the address is known).
    func request(_ envelope: Envelope, host: String, port: Int, expecting: MessageType) async throws -> Envelope {
        let s = try await SessionClient.connect(to: host, port: port, identity: identity)
        defer { Task { await s.close() } }
        try await s.send(envelope)
        for try await reply in s.inbound where reply.type == expecting {
            return reply
        }
        throw NodeError(.job, "\(host):\(port) closed the session without answering")
    }

    /// Peers with an open session.
    var connectedPeers: [NodeID] { byPeer.keys.sorted() }

    /// Closes every session and the server.
    func close() async {
        for s in byPeer.values { await s.close() }
        byPeer.removeAll()
        await server?.close()
    }
}
