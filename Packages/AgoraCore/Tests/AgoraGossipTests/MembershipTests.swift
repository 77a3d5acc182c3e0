import AgoraCrypto
import AgoraGossip
import AgoraWire
import Testing

@Suite("Membership state machine")
struct MembershipTests {
    func cluster(_ n: Int, settings: Gossip.Settings = Gossip.Settings()) throws -> [TestNode] {
        var nodes = try (1...n).map { try TestNode(UInt8($0), settings: settings) }
        formCluster(&nodes)
        return nodes
    }

    func suspect(_ x: TestNode, by from: TestNode, inc: UInt64 = 1) -> Gossip.Datagram {
        Gossip.Datagram(updates: [.suspect(node: x.id, incarnation: inc, from: from.id)])
    }

    @Test func suspectedNodeRefutesWithAHigherIncarnation() throws {
        var nodes = try cluster(4)
        let out = nodes[1].instance.onDatagram(suspect(nodes[1], by: nodes[0]), from: nodes[0].peer, now: ms(100))
        #expect(out.events == [.refuted(incarnation: 2)])
        #expect(nodes[1].instance.record.incarnation == 2)
        #expect(nodes[1].instance.counters.refutations == 1)
        // Eager push carries the refutation; A clears the suspicion on receipt.
        _ = nodes[0].instance.onDatagram(suspect(nodes[1], by: nodes[2]), from: nodes[2].peer, now: ms(100))
        #expect(nodes[0].instance.member(nodes[1].id)?.status == .suspect)
        let refutation = try #require(out.sends.first { $0.0.updates.contains(.alive(nodes[1].instance.record)) }).0
        let seen = nodes[0].instance.onDatagram(refutation, from: nodes[1].peer, now: ms(120))
        #expect(seen.events.contains(.alive(nodes[1].instance.record)))
        #expect(nodes[0].instance.member(nodes[1].id)?.status == .alive)
        #expect(nodes[0].instance.member(nodes[1].id)?.incarnation == 2)
    }

    @Test func staleSuspicionIsIgnoredAfterRefutation() throws {
        var nodes = try cluster(3)
        _ = nodes[1].instance.onDatagram(suspect(nodes[1], by: nodes[0]), from: nodes[0].peer, now: ms(100))
        // A suspicion about incarnation 1 no longer applies to incarnation 2.
        let again = nodes[1].instance.onDatagram(suspect(nodes[1], by: nodes[2]), from: nodes[2].peer, now: ms(200))
        #expect(again.events.isEmpty)
        #expect(nodes[1].instance.record.incarnation == 2)
    }

    @Test func suspicionRunsOutIntoDead() throws {
        var s = Gossip.Settings()
        s.lifeguard = false
        var nodes = try cluster(4, settings: s)
        let out = nodes[0].instance.onDatagram(suspect(nodes[1], by: nodes[2]), from: nodes[2].peer, now: ms(100))
        let (timer, at) = try #require(out.timers.first { $0.0 == .suspicion(nodes[1].id) })
        #expect(at == ms(1100))   // Lifeguard off: the fixed minimum
        #expect(nodes[0].instance.onTimeout(timer, now: ms(900)).events.isEmpty)   // early: ignored
        let dead = nodes[0].instance.onTimeout(timer, now: at)
        #expect(dead.events == [.dead(nodes[1].id, incarnation: 1)])
        #expect(nodes[0].instance.member(nodes[1].id)?.status == .dead)
        #expect(nodes[0].instance.liveMemberCount == 2)
        // A dead member's stale alive record changes nothing.
        let stale = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.alive(nodes[1].instance.record)]),
                                                 from: nodes[2].peer, now: ms(1200))
        #expect(stale.events.isEmpty)
        #expect(nodes[0].instance.member(nodes[1].id)?.status == .dead)
    }

    @Test func lifeguardSuspicionShrinksWithIndependentConfirmations() throws {
        var nodes = try cluster(6)
        let x = nodes[1]
        let first = nodes[0].instance.onDatagram(suspect(x, by: nodes[2]), from: nodes[2].peer, now: ms(0))
        let deadlines = [first.timers.first { $0.0 == .suspicion(x.id) }?.1]
            + [nodes[3], nodes[4], nodes[5]].map { c in
                nodes[0].instance.onDatagram(suspect(x, by: c), from: c.peer, now: ms(10)).timers.first { $0.0 == .suspicion(x.id) }?.1
            }
        // max = 6 s; then max − (max − min)·log(c+1)/log(k+1) with min 1 s, k 3: 3.5 s, 2.037 s, 1 s.
        #expect(deadlines == [ms(6000), ms(3500), ms(2037), ms(1000)])
        // A repeated confirmation from the same member does not count.
        let dup = nodes[0].instance.onDatagram(suspect(x, by: nodes[3]), from: nodes[3].peer, now: ms(20))
        #expect(dup.timers.isEmpty)
    }

    @Test func incarnationOrderingKeepsOnlyNewerRecords() throws {
        var nodes = try cluster(3)
        let old = nodes[1].instance.record
        _ = nodes[1].instance.onCommand(.updateRecord(addresses: [nodes[1].address], capabilities: testCapabilities(queue: 5)),
                                        now: ms(10))
        let newer = nodes[1].instance.record
        #expect(newer.incarnation == 2)
        let a = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.alive(newer)]), from: nodes[1].peer, now: ms(20))
        #expect(a.events == [.recordUpdated(newer)])
        #expect(nodes[0].instance.member(nodes[1].id)?.record.capabilities.queueDepth == 5)
        // Replaying the older record: dropped and counted, view unchanged.
        let replay = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.alive(old)]), from: nodes[2].peer, now: ms(30))
        #expect(replay.events.isEmpty && replay.sends.isEmpty)
        #expect(nodes[0].instance.counters.staleUpdates == 1)
        #expect(nodes[0].instance.member(nodes[1].id)?.record == newer)
        // The same record again is a duplicate: nothing happens.
        #expect(nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.alive(newer)]), from: nodes[2].peer, now: ms(40)).events.isEmpty)
    }

    @Test func recordSignedByAnotherKeyIsDroppedAndCounted() throws {
        var nodes = try cluster(3)
        // Node 3 signs a record claiming node 2's id (a forged body with 3's signature).
        let forger = nodes[2].identity
        let genuine = nodes[1].instance.record
        var body = genuine.body
        body[body.count - 1] = 9   // queue depth 9 (the body's last byte), incarnation unchanged
        var w = body
        w.append(contentsOf: forger.sign(body, in: .peerRecord).bytes)
        var bumped = try Gossip.PeerRecord(wireBytes: w)
        #expect(!Gossip.Ed25519Verifier().isValid(bumped))
        // Also at a higher incarnation.
        let higher = try Gossip.PeerRecord(incarnation: 9, addresses: [nodes[1].address], capabilities: testCapabilities(),
                                           signer: ImpostorSigner(claimed: nodes[1].id, real: forger))
        for r in [bumped, higher] {
            bumped = r
            let out = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.alive(r)]), from: nodes[2].peer, now: ms(10))
            #expect(out.events.isEmpty && out.sends.isEmpty)
        }
        #expect(nodes[0].instance.counters.badRecords == 1)   // the same-incarnation one is dropped before checking
        #expect(nodes[0].instance.member(nodes[1].id)?.record == genuine)
    }

    @Test func gracefulLeaveIsSeenAsLeftAndReaped() throws {
        var nodes = try cluster(3)
        let bye = nodes[1].instance.onCommand(.leave, now: ms(100))
        let departing = nodes[1].instance.record
        #expect(departing.departing && departing.incarnation == 2)
        let d = try #require(bye.sends(to: nodes[0].address).first ?? bye.sends.first?.0)
        let seen = nodes[0].instance.onDatagram(d, from: nodes[1].peer, now: ms(110))
        #expect(seen.events == [.left(nodes[1].id, incarnation: 2)])
        #expect(nodes[0].instance.member(nodes[1].id)?.status == .left)
        // A leaving node no longer probes.
        #expect(nodes[1].instance.onTimeout(.probe, now: ms(1000)).sends.isEmpty)
        // After deadRetention the member is reaped; its tombstone refuses its old records.
        let reaped = nodes[0].instance.onTimeout(.probe, now: ms(31_000))
        #expect(reaped.events.contains(.reaped(nodes[1].id)))
        #expect(nodes[0].instance.member(nodes[1].id) == nil)
        #expect(nodes[0].instance.isTombstoned(nodes[1].id, incarnation: 2))
    }

    @Test func reapedMemberIsNotResurrectedByALaterSync() throws {
        var s = Gossip.Settings()
        s.lifeguard = false
        var nodes = try cluster(3, settings: s)
        let x = nodes[1]
        let oldRecord = x.instance.record
        _ = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.dead(node: x.id, incarnation: 1, from: nodes[2].id)]),
                                         from: nodes[2].peer, now: ms(100))
        #expect(nodes[0].instance.member(x.id)?.status == .dead)
        _ = nodes[0].instance.onTimeout(.probe, now: ms(40_000))
        #expect(nodes[0].instance.member(x.id) == nil)
        // A push-pull from a node that still believes x alive at incarnation 1.
        let sync = Gossip.PushPull(isReply: false, updates: [.alive(nodes[2].instance.record), .alive(oldRecord)])
        let out = nodes[0].instance.onPushPull(sync, from: nodes[2].address, now: ms(41_000))
        #expect(!out.events.contains { if case .alive(let r) = $0 { r.nodeID == x.id } else { false } })
        #expect(nodes[0].instance.member(x.id) == nil)
        #expect(nodes[0].instance.counters.staleUpdates == 1)
        // Its push-pull reply carries the tombstone, so the other side learns x is dead.
        guard case .replyPushPull(let reply, _) = try #require(out.first(where: { if case .replyPushPull = $0 { true } else { false } })) else { return }
        #expect(reply.updates.contains(.dead(node: x.id, incarnation: 1, from: nodes[0].id)))
        // A restart at a higher incarnation is a legitimate rejoin.
        var back = try TestNode(2, settings: s, incarnation: 5)
        _ = back.instance.onCommand(.join(bootstrap: []), now: ms(42_000))
        let rejoin = nodes[0].instance.onDatagram(Gossip.Datagram(updates: [.alive(back.instance.record)]), from: back.peer, now: ms(42_010))
        #expect(rejoin.events == [.alive(back.instance.record)])
    }
}

/// Signs with one key while claiming another node id.
struct ImpostorSigner: Gossip.RecordSigner {
    let claimed: NodeID
    let real: Identity
    var nodeID: NodeID { claimed }
    func sign(_ body: [UInt8]) -> [UInt8] { real.sign(body, in: .peerRecord).bytes }
}
