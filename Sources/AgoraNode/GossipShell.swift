import AgoraCrypto
import AgoraGossip
import AgoraNet
import AgoraWire
import Logging

/// The gossip shell: carries a `Gossip.Instance`'s directives out over UDP datagrams (sealed
/// and opened with the packet codec) and TCP sessions (push-pull), and fires its timers.
/// One actor owns the instance; every input reaches it here.
actor GossipShell {
    private var instance: Gossip.Instance
    private var guardian: Gossip.PacketGuard
    private let identity: Identity
    private let transport: DatagramTransport
    private let sessions: SessionPool
    private let logger: Logger
    /// Packet sequence numbers start at the wall clock in microseconds, so a restarted node
    /// continues above its last run and peers' replay guards accept it.
    private var sequence: UInt64 = NodeClock.unixMillis() * 1000
    private var listeners: [@Sendable ([Gossip.Member]) async -> Void] = []
    private var stopped = false

    init(identity: Identity, address: Gossip.Address, capabilities: Gossip.Capabilities, transport: DatagramTransport,
         sessions: SessionPool, logger: Logger) throws {
        self.identity = identity
        self.transport = transport
        self.sessions = sessions
        self.logger = logger
        // The wall clock in seconds makes each run's first incarnation exceed the last one's.
        let incarnation = NodeClock.unixMillis() / 1000
        let seed = UInt64(truncatingIfNeeded: SecureRandom.bytes(8).reduce(0) { $0 << 8 | UInt64($1) })
        instance = try Gossip.Instance(signer: Gossip.IdentitySigner(identity), addresses: [address],
                                       capabilities: capabilities, incarnation: incarnation, seed: seed)
        guardian = Gossip.PacketGuard(selfID: identity.publicKey)
    }

    /// Calls `listener` with the member list whenever membership changes.
    func onMembershipChange(_ listener: @escaping @Sendable ([Gossip.Member]) async -> Void) {
        listeners.append(listener)
    }

    /// Joins through `bootstrap` and starts the timers.
    func join(_ bootstrap: [Gossip.Address]) async {
        await perform(instance.onCommand(.join(bootstrap: bootstrap), now: NodeClock.gossipNow()))
    }

    /// Publishes new capabilities (speed, queue depth).
    func update(capabilities: Gossip.Capabilities) async {
        await perform(instance.onCommand(.updateRecord(addresses: instance.record.addresses, capabilities: capabilities),
                                         now: NodeClock.gossipNow()))
    }

    /// Leaves gracefully: announces departure and keeps gossiping it briefly.
    func leave() async {
        await perform(instance.onCommand(.leave, now: NodeClock.gossipNow()))
        try? await Task.sleep(for: .milliseconds(600))
        stopped = true
    }

    /// Every known member (not this node).
    var members: [Gossip.Member] { instance.allMembers }
    /// This node's own record.
    var record: Gossip.PeerRecord { instance.record }
    /// Drop counters of the packet guard and the instance, for metrics.
    var counters: (packets: Gossip.PacketGuard.Counters, instance: Gossip.Counters) { (guardian.counters, instance.counters) }

    /// Reads datagrams until the transport closes.
    func receiveDatagrams() async {
        for await d in transport.incoming {
            switch guardian.open(d.bytes) {
            case .success(let (sender, datagram)):
                let peer = Gossip.Peer(nodeID: sender, address: Gossip.Address(host: d.sender.host, port: UInt16(clamping: d.sender.port)))
                await perform(instance.onDatagram(datagram, from: peer, now: NodeClock.gossipNow()))
            case .failure(let error):
                NodeMetrics.gossipDropped.increment()
                logger.debug("dropped datagram", metadata: ["from": "\(d.sender)", "reason": "\(error)"])
            }
        }
    }

    /// Handles a push-pull that arrived on an inbound session; returns the reply to send on it.
    func receivePushPull(_ payload: [UInt8], from address: Gossip.Address) async -> [UInt8]? {
        guard let state = try? Gossip.PushPull(wireBytes: payload) else {
            NodeMetrics.gossipDropped.increment()
            return nil
        }
        var reply: [UInt8]?
        var rest: [Gossip.Directive] = []
        for d in instance.onPushPull(state, from: address, now: NodeClock.gossipNow()) {
            if case .replyPushPull(let answer, _) = d { reply = answer.wireBytes } else { rest.append(d) }
        }
        await perform(rest)
        return reply
    }

    private func perform(_ directives: [Gossip.Directive]) async {
        var membershipChanged = false
        for d in directives {
            switch d {
            case .send(let datagram, let to):
                guard !stopped else { continue }
                sequence += 1
                do {
                    let packet = try Gossip.Packet.seal(datagram, by: identity, sequence: sequence)
                    try await transport.send(packet, to: to.host, port: Int(to.port))
                } catch {
                    logger.debug("gossip send failed", metadata: ["to": "\(to)", "error": "\(error)"])
                }
            case .pushPull(let state, let to):
                let bytes = state.wireBytes
                Task { await self.exchangePushPull(bytes, with: to) }
            case .replyPushPull:
                // Only produced by `onPushPull`, whose reply `receivePushPull` sends on the session.
                break
            case .streamPing(let seq, let target, let to):
                guard !stopped else { continue }
                Task { _ = await self.streamPing(seq: seq, target: target, to: to) }
            case .replyStreamPing:
                // Only produced by `onStreamPing`, whose answer `receiveStreamPing` writes on the session.
                break
            case .schedule(let timer, let at):
                Task {
                    try? await Task.sleep(for: NodeClock.delay(until: at))
                    await self.fire(timer)
                }
            case .emit(let event):
                membershipChanged = true
                log(event)
            }
        }
        if membershipChanged {
            let members = instance.allMembers
            for l in listeners { await l(members) }
        }
    }

    /// Handles a ping that arrived on an inbound session (another node's stream ping, Protocol.md
    /// §5.5.1); returns the `ack` envelope to write on that session, if the ping is for this node.
    func receiveStreamPing(_ envelope: Envelope, from address: Gossip.Address) async -> Envelope? {
        guard case .ping(let seq, let target)? = try? Gossip.Message(envelope: envelope.encoded(compress: false)) else {
            NodeMetrics.gossipDropped.increment()
            return nil
        }
        var answer: Envelope?
        var rest: [Gossip.Directive] = []
        for d in instance.onStreamPing(seq: seq, target: target, from: address, now: NodeClock.gossipNow()) {
            if case .replyStreamPing(let s, _) = d {
                answer = try? Envelope(decoding: Gossip.Message.ack(seq: s).envelope)
            } else {
                rest.append(d)
            }
        }
        await perform(rest)
        return answer
    }

    /// Sends a stream ping on a one-off session and feeds a matching ack back; gives up
    /// silently after `streamPingTimeout` (the probe then simply has no answer this way).
    /// Returns whether the ack came.
    func streamPing(seq: UInt64, target: NodeID, to address: Gossip.Address) async -> Bool {
        guard let envelope = try? Envelope(decoding: Gossip.Message.ping(seq: seq, target: target).envelope) else { return false }
        let sessions = self.sessions
        let reply: Envelope? = await withTaskGroup(of: Envelope?.self) { group in
            group.addTask {
                try? await sessions.request(envelope, host: address.host, port: Int(address.port), expecting: .ack)
            }
            group.addTask {
                try? await Task.sleep(for: Self.streamPingTimeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let reply, case .ack(let s)? = try? Gossip.Message(envelope: reply.encoded(compress: false)), s == seq else { return false }
        await perform(instance.onStreamAck(seq: seq, now: NodeClock.gossipNow()))
        return true
    }

    /// How long a stream ping waits for its ack.
    static let streamPingTimeout: Duration = .milliseconds(800)

    private func fire(_ timer: Gossip.Timer) async {
        guard !stopped || timer == .gossip else { return }
        await perform(instance.onTimeout(timer, now: NodeClock.gossipNow()))
    }

    private func exchangePushPull(_ bytes: [UInt8], with address: Gossip.Address) async {
        do {
            let reply = try await sessions.request(Envelope(type: .pushPull, payload: bytes), host: address.host,
                                                   port: Int(address.port), expecting: .pushPull)
            let state = try Gossip.PushPull(wireBytes: reply.payload)
            await perform(instance.onPushPull(state, from: address, now: NodeClock.gossipNow()))
        } catch {
            logger.debug("push-pull failed", metadata: ["to": "\(address)", "error": "\(error)"])
            await perform(instance.onPushPullFailed(to: address, now: NodeClock.gossipNow()))
        }
    }

    private func log(_ event: Gossip.Event) {
        switch event {
        case .alive(let r): logger.info("member alive", metadata: ["node": "\(r.nodeID.short)", "address": "\(r.address)"])
        case .recordUpdated(let r): logger.debug("member record updated", metadata: ["node": "\(r.nodeID.short)", "incarnation": "\(r.incarnation)"])
        case .suspect(let id, let inc): logger.info("member suspect", metadata: ["node": "\(id.short)", "incarnation": "\(inc)"])
        case .dead(let id, let inc): logger.warning("member dead", metadata: ["node": "\(id.short)", "incarnation": "\(inc)"])
        case .left(let id, _): logger.info("member left", metadata: ["node": "\(id.short)"])
        case .reaped(let id): logger.debug("member reaped", metadata: ["node": "\(id.short)"])
        case .refuted(let inc): logger.info("refuted suspicion about this node", metadata: ["incarnation": "\(inc)"])
        }
    }
}
