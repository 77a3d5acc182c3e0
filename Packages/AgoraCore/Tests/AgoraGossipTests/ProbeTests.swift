import AgoraCrypto
import AgoraGossip
import Testing

@Suite("Probing")
struct ProbeTests {
    /// Runs A's next probe tick and returns (directives, the target's index).
    func probe(_ nodes: inout [TestNode], from a: Int, at t: Gossip.Instant) -> ([Gossip.Directive], Int)? {
        let ds = nodes[a].instance.onTimeout(.probe, now: t)
        guard let (_, addr) = ds.sends.first, let target = nodes.firstIndex(where: { $0.address == addr }) else { return nil }
        return (ds, target)
    }

    @Test func directProbeIsAckedAndNothingIsSuspected() throws {
        var nodes = [try TestNode(1), try TestNode(2)]
        formCluster(&nodes)
        let (ds, b) = try #require(probe(&nodes, from: 0, at: ms(1000)))
        #expect(b == 1)
        let seq = try #require(pingSeq(ds))
        let reply = nodes[1].instance.onDatagram(ds.sends[0].0, from: nodes[0].peer, now: ms(1010))
        #expect(reply.messages.contains(.ack(seq: seq)))
        _ = nodes[0].instance.onDatagram(reply.sends[0].0, from: nodes[1].peer, now: ms(1020))
        // Neither timeout suspects an acked target.
        #expect(nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200)).sends.isEmpty)
        let end = nodes[0].instance.onTimeout(.indirectDeadline(seq: seq), now: ms(1500))
        #expect(end.events.isEmpty)
        #expect(nodes[0].instance.member(nodes[1].id)?.status == .alive)
        #expect(nodes[0].instance.counters.failedProbes == 0)
    }

    @Test func pingForAnotherNodeIDIsNotAnswered() throws {
        var nodes = [try TestNode(1), try TestNode(2), try TestNode(3)]
        formCluster(&nodes)
        let d = Gossip.Datagram(messages: [.ping(seq: 7, target: nodes[2].id)])
        let ds = nodes[1].instance.onDatagram(d, from: nodes[0].peer, now: ms(10))
        #expect(ds.messages.isEmpty)
        #expect(nodes[1].instance.counters.misdirectedPings == 1)
    }

    @Test func indirectProbeThroughHelpersRelaysTheAck() throws {
        var nodes = try (1...5).map { try TestNode(UInt8($0)) }
        formCluster(&nodes)
        let (ds, target) = try #require(probe(&nodes, from: 0, at: ms(1000)))
        let seq = try #require(pingSeq(ds))
        // The direct ping is lost; at the probe timeout A asks k = 3 helpers.
        let asks = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        // Besides the helpers, A pings the target directly once more (`directRetry`).
        #expect(asks.sends(to: nodes[target].address).first?.messages == [.ping(seq: seq, target: nodes[target].id)])
        let requests = asks.sends.filter { $0.1 != nodes[target].address }
        #expect(requests.count == 3)
        for (d, _) in requests {
            guard case .pingRequest(let s, let t, let addr, let wantsNack) = d.messages.first else { Issue.record("no ping-request"); return }
            #expect(s == seq && t == nodes[target].id && addr == nodes[target].address && wantsNack)
        }
        // One helper probes the target, which answers; the helper relays the ack to A.
        let (req, helperAddr) = requests[0]
        let h = try #require(nodes.firstIndex { $0.address == helperAddr })
        let relay = nodes[h].instance.onDatagram(req, from: nodes[0].peer, now: ms(1210))
        let ping = try #require(relay.sends(to: nodes[target].address).first)
        let ack = nodes[target].instance.onDatagram(ping, from: nodes[h].peer, now: ms(1220))
        let relayed = nodes[h].instance.onDatagram(try #require(ack.sends.first?.0), from: nodes[target].peer, now: ms(1230))
        let toA = try #require(relayed.sends(to: nodes[0].address).first)
        #expect(toA.messages.contains(.ack(seq: seq)))
        _ = nodes[0].instance.onDatagram(toA, from: nodes[h].peer, now: ms(1240))
        let end = nodes[0].instance.onTimeout(.indirectDeadline(seq: seq), now: ms(1500))
        #expect(end.events.isEmpty)
        #expect(nodes[0].instance.member(nodes[target].id)?.status == .alive)
    }

    @Test func retriedDirectPingAckCompletesTheProbe() throws {
        var nodes = try (1...5).map { try TestNode(UInt8($0)) }
        formCluster(&nodes)
        let (ds, target) = try #require(probe(&nodes, from: 0, at: ms(1000)))
        let seq = try #require(pingSeq(ds))
        // The first ping is lost; the retry at the probe timeout reaches the target.
        let asks = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        let retry = try #require(asks.sends(to: nodes[target].address).first)
        let ack = nodes[target].instance.onDatagram(retry, from: nodes[0].peer, now: ms(1210))
        _ = nodes[0].instance.onDatagram(try #require(ack.sends.first?.0), from: nodes[target].peer, now: ms(1220))
        #expect(nodes[0].instance.onTimeout(.indirectDeadline(seq: seq), now: ms(1500)).events.isEmpty)
        #expect(nodes[0].instance.member(nodes[target].id)?.status == .alive)
        #expect(nodes[0].instance.counters.failedProbes == 0)
    }

    @Test func noDirectRetryWhenSwitchedOff() throws {
        var s = Gossip.Settings()
        s.directRetry = false
        var nodes = try (1...5).map { try TestNode(UInt8($0), settings: s) }
        formCluster(&nodes)
        let (ds, target) = try #require(probe(&nodes, from: 0, at: ms(1000)))
        let seq = try #require(pingSeq(ds))
        let asks = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        #expect(asks.sends(to: nodes[target].address).isEmpty)
        #expect(asks.sends.count == 3)
    }

    @Test func helperThatCannotReachTheTargetSendsANack() throws {
        var nodes = try (1...4).map { try TestNode(UInt8($0)) }
        formCluster(&nodes)
        let d = Gossip.Datagram(messages: [.pingRequest(seq: 42, target: nodes[2].id, address: nodes[2].address, wantsNack: true)])
        let ds = nodes[1].instance.onDatagram(d, from: nodes[0].peer, now: ms(100))
        let (timer, at) = try #require(ds.timers.first { if case .relayDeadline = $0.0 { true } else { false } })
        let out = nodes[1].instance.onTimeout(timer, now: at)
        #expect(out.sends(to: nodes[0].address).first?.messages == [.nack(seq: 42)])
    }

    @Test func unansweredProbeMakesTheTargetSuspectAndRaisesLocalHealth() throws {
        var nodes = try (1...5).map { try TestNode(UInt8($0)) }
        formCluster(&nodes)
        let (ds, target) = try #require(probe(&nodes, from: 0, at: ms(1000)))
        let seq = try #require(pingSeq(ds))
        _ = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        let end = nodes[0].instance.onTimeout(.indirectDeadline(seq: seq), now: ms(1500))
        #expect(end.events == [.suspect(nodes[target].id, incarnation: 1)])
        #expect(nodes[0].instance.member(nodes[target].id)?.status == .suspect)
        // Lifeguard: three helpers and no nacks means our own network may be the problem.
        #expect(nodes[0].instance.localHealth == 3)
        // The suspicion is gossiped.
        let gossip = nodes[0].instance.onTimeout(.gossip, now: ms(1600))
        #expect(gossip.sends.contains { $0.0.updates.contains(.suspect(node: nodes[target].id, incarnation: 1, from: nodes[0].id)) })
    }
}
