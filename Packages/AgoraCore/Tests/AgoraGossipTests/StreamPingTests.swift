import AgoraCrypto
import AgoraGossip
import Testing

@Suite("Stream ping (TCP fallback probe)")
struct StreamPingTests {
    func cluster(_ n: Int, settings: Gossip.Settings = Gossip.Settings()) throws -> [TestNode] {
        var nodes = try (1...n).map { try TestNode(UInt8($0), settings: settings) }
        formCluster(&nodes)
        return nodes
    }

    /// A's probe at 1 s: (directives, the target's index, seq).
    func probe(_ nodes: inout [TestNode]) throws -> ([Gossip.Directive], Int, UInt64) {
        let ds = nodes[0].instance.onTimeout(.probe, now: ms(1000))
        let addr = try #require(ds.sends.first?.1)
        let target = try #require(nodes.firstIndex { $0.address == addr })
        return (ds, target, try #require(pingSeq(ds)))
    }

    func streamPings(_ ds: [Gossip.Directive]) -> [(UInt64, NodeID, Gossip.Address)] {
        ds.compactMap { if case .streamPing(let s, let t, let a) = $0 { (s, t, a) } else { nil } }
    }

    @Test func lateDirectAckAddsAStreamPingBesideTheHelpers() throws {
        var nodes = try cluster(5)
        let (_, target, seq) = try probe(&nodes)
        let asks = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        #expect(asks.sends.filter { $0.1 != nodes[target].address }.count == 3)
        let pings = streamPings(asks)
        #expect(pings.count == 1)
        #expect(pings.first?.0 == seq && pings.first?.1 == nodes[target].id && pings.first?.2 == nodes[target].address)
        #expect(nodes[0].instance.counters.streamPings == 1)
    }

    @Test func streamAckAloneKeepsTheTargetAliveWithoutLoweringHealth() throws {
        var nodes = try cluster(5)
        let (_, target, seq) = try probe(&nodes)
        _ = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        // Every datagram is lost; the target answers on the stream session.
        let reply = nodes[target].instance.onStreamPing(seq: seq, target: nodes[target].id, from: nodes[0].address, now: ms(1250))
        guard case .replyStreamPing(let s, let to) = try #require(reply.first), reply.count == 1 else {
            Issue.record("expected one replyStreamPing, got \(reply)"); return
        }
        #expect(s == seq && to == nodes[0].address)
        #expect(nodes[0].instance.onStreamAck(seq: seq, now: ms(1300)).isEmpty)
        let end = nodes[0].instance.onTimeout(.indirectDeadline(seq: seq), now: ms(1500))
        #expect(end.events.isEmpty)
        #expect(nodes[0].instance.member(nodes[target].id)?.status == .alive)
        #expect(nodes[0].instance.counters.streamAcks == 1)
        #expect(nodes[0].instance.counters.failedProbes == 0)
        #expect(nodes[0].instance.localHealth == 0)
    }

    @Test func streamPingForAnotherNodeIsNotAnswered() throws {
        var nodes = try cluster(3)
        let out = nodes[1].instance.onStreamPing(seq: 9, target: nodes[2].id, from: nodes[0].address, now: ms(10))
        #expect(out.isEmpty)
        #expect(nodes[1].instance.counters.misdirectedPings == 1)
    }

    @Test func unmatchedStreamAckIsCounted() throws {
        var nodes = try cluster(3)
        #expect(nodes[0].instance.onStreamAck(seq: 12345, now: ms(10)).isEmpty)
        #expect(nodes[0].instance.counters.unexpectedReplies == 1)
    }

    @Test func noStreamPingWhenSwitchedOff() throws {
        var s = Gossip.Settings()
        s.streamPing = false
        var nodes = try cluster(5, settings: s)
        let (_, target, seq) = try probe(&nodes)
        let asks = nodes[0].instance.onTimeout(.probeTimeout(seq: seq), now: ms(1200))
        #expect(streamPings(asks).isEmpty)
        #expect(asks.sends.filter { $0.1 != nodes[target].address }.count == 3)
    }

    /// A suspects X (nodes[1]) on a claim from nodes[2] at t = 0 and reaches its deadline (6 s,
    /// no confirmations): returns the last-chance probe's directives.
    func lastChance(_ nodes: inout [TestNode]) throws -> [Gossip.Directive] {
        let x = nodes[1]
        let first = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.suspect(node: x.id, incarnation: 1, from: nodes[2].id)]),
                                                 from: nodes[2].peer, now: ms(0))
        let at = try #require(first.timers.first { $0.0 == .suspicion(x.id) }?.1)
        #expect(at == ms(6000))
        return nodes[0].instance.onTimeout(.suspicion(x.id), now: at)
    }

    @Test func lastChanceProbeAnsweredOnTheStreamRestartsTheSuspicion() throws {
        var nodes = try cluster(6)
        let x = nodes[1].id
        let probe = try lastChance(&nodes)
        let pings = streamPings(probe)
        #expect(pings.count == 1 && pings.first?.1 == x)
        let seq = try #require(pings.first?.0)
        _ = nodes[0].instance.onStreamAck(seq: seq, now: ms(6100))
        let after = nodes[0].instance.onTimeout(.suspicion(x), now: ms(6500))
        #expect(after.events.isEmpty)
        #expect(nodes[0].instance.member(x)?.status == .suspect)
        #expect(after.timers.contains { $0.0 == .suspicion(x) && $0.1 == ms(12_500) })
    }

    @Test func twoUnansweredLastChanceProbesEndInDead() throws {
        var nodes = try cluster(6)
        let x = nodes[1].id
        _ = try lastChance(&nodes)
        // The first goes unanswered: back off 1 s, then probe again.
        let wait = nodes[0].instance.onTimeout(.suspicion(x), now: ms(6500))
        #expect(wait.events.isEmpty && wait.sends.isEmpty)
        #expect(wait.timers.contains { $0.0 == .suspicion(x) && $0.1 == ms(7500) })
        #expect(nodes[0].instance.onTimeout(.suspicion(x), now: ms(7000)).sends.isEmpty)   // early: still backing off
        let second = nodes[0].instance.onTimeout(.suspicion(x), now: ms(7500))
        #expect(second.sends(to: nodes[1].address).contains { $0.messages.contains { if case .ping = $0 { true } else { false } } })
        #expect(streamPings(second).count == 1)
        let after = nodes[0].instance.onTimeout(.suspicion(x), now: ms(8000))
        #expect(after.events == [.dead(x, incarnation: 1)])
    }

    @Test func secondLastChanceProbeAnsweredRestartsTheSuspicion() throws {
        var nodes = try cluster(6)
        let x = nodes[1].id
        _ = try lastChance(&nodes)
        _ = nodes[0].instance.onTimeout(.suspicion(x), now: ms(6500))
        let second = nodes[0].instance.onTimeout(.suspicion(x), now: ms(7500))
        let seq = try #require(streamPings(second).first?.0)
        _ = nodes[0].instance.onStreamAck(seq: seq, now: ms(7600))
        let after = nodes[0].instance.onTimeout(.suspicion(x), now: ms(8000))
        #expect(after.events.isEmpty)
        #expect(nodes[0].instance.member(x)?.status == .suspect)
        #expect(after.timers.contains { $0.0 == .suspicion(x) && $0.1 == ms(14_000) })
    }

    @Test func oneLastChanceProbeWhenSoConfigured() throws {
        var s = Gossip.Settings()
        s.lastChanceProbes = 1
        var nodes = try cluster(6, settings: s)
        let x = nodes[1].id
        _ = try lastChance(&nodes)
        #expect(nodes[0].instance.onTimeout(.suspicion(x), now: ms(6500)).events == [.dead(x, incarnation: 1)])
    }
}
