import AgoraCrypto
import AgoraGossip
import Testing

@Suite("Stale claims are answered with the newer record")
struct StaleClaimTests {
    func cluster(_ n: Int, settings: Gossip.Settings = Gossip.Settings()) throws -> [TestNode] {
        var nodes = try (1...n).map { try TestNode(UInt8($0), settings: settings) }
        formCluster(&nodes)
        return nodes
    }

    func claim(_ x: TestNode, by from: TestNode, inc: UInt64 = 1, dead: Bool = false) -> Gossip.Datagram {
        Gossip.Datagram(updates: [dead ? .dead(node: x.id, incarnation: inc, from: from.id)
                                       : .suspect(node: x.id, incarnation: inc, from: from.id)])
    }

    /// X (nodes[1]) refutes a suspicion (incarnation 2) and C (nodes[2]) learns the new record.
    func refute(_ nodes: inout [TestNode]) -> Gossip.PeerRecord {
        _ = nodes[1].instance.onDatagram(claim(nodes[1], by: nodes[0]), from: nodes[0].peer, now: ms(100))
        let r = nodes[1].instance.record
        _ = nodes[2].instance.onDatagram(Gossip.Datagram(updates: [.alive(r)]), from: nodes[1].peer, now: ms(110))
        return r
    }

    @Test(arguments: [false, true])
    func memberHoldingTheNewerRecordSendsItToTheClaimant(dead: Bool) throws {
        var nodes = try cluster(5)
        let r = refute(&nodes)
        #expect(r.incarnation == 2)
        // D (nodes[3]) missed the refutation and still claims incarnation 1 to C.
        let out = nodes[2].instance.onDatagram(claim(nodes[1], by: nodes[3], dead: dead), from: nodes[3].peer, now: ms(200))
        let answer = try #require(out.sends(to: nodes[3].address).first)
        #expect(answer.updates.first == .alive(r))
        #expect(nodes[2].instance.counters.staleClaimsAnswered == 1)
        #expect(nodes[2].instance.member(nodes[1].id)?.status == .alive)
        // D takes it: the suspicion it held is cleared.
        _ = nodes[3].instance.onDatagram(claim(nodes[1], by: nodes[0]), from: nodes[0].peer, now: ms(150))
        #expect(nodes[3].instance.member(nodes[1].id)?.status == .suspect)
        _ = nodes[3].instance.onDatagram(answer, from: nodes[2].peer, now: ms(210))
        #expect(nodes[3].instance.member(nodes[1].id)?.status == .alive)
        #expect(nodes[3].instance.member(nodes[1].id)?.incarnation == 2)
    }

    @Test func subjectAnswersAStaleClaimAboutItselfDirectly() throws {
        var nodes = try cluster(4)
        let r = refute(&nodes)
        let out = nodes[1].instance.onDatagram(claim(nodes[1], by: nodes[3]), from: nodes[3].peer, now: ms(300))
        #expect(out.events.isEmpty)   // no second refutation
        #expect(nodes[1].instance.record == r)
        #expect(out.sends(to: nodes[3].address).first?.updates.first == .alive(r))
    }

    @Test func currentClaimIsAppliedNotAnswered() throws {
        var nodes = try cluster(5)
        let out = nodes[2].instance.onDatagram(claim(nodes[1], by: nodes[3]), from: nodes[3].peer, now: ms(200))
        #expect(out.events == [.suspect(nodes[1].id, incarnation: 1)])
        #expect(nodes[2].instance.counters.staleClaimsAnswered == 0)
    }

    @Test func claimAboutADeadMemberIsNotAnswered() throws {
        var nodes = try cluster(5)
        _ = refute(&nodes)
        // C declares X dead at incarnation 2; a claim at 1 is stale but C holds no live record to send.
        _ = nodes[2].instance.onDatagram(claim(nodes[1], by: nodes[4], inc: 2, dead: true), from: nodes[4].peer, now: ms(150))
        #expect(nodes[2].instance.member(nodes[1].id)?.status == .dead)
        let out = nodes[2].instance.onDatagram(claim(nodes[1], by: nodes[3]), from: nodes[3].peer, now: ms(200))
        #expect(out.sends(to: nodes[3].address).isEmpty)
        #expect(nodes[2].instance.counters.staleClaimsAnswered == 0)
    }

    @Test func noAnswerWhenSwitchedOff() throws {
        var s = Gossip.Settings()
        s.answerStaleClaims = false
        var nodes = try cluster(5, settings: s)
        _ = refute(&nodes)
        let out = nodes[2].instance.onDatagram(claim(nodes[1], by: nodes[3]), from: nodes[3].peer, now: ms(200))
        #expect(nodes[2].instance.counters.staleClaimsAnswered == 0)
        #expect(out.sends.isEmpty)
    }
}
