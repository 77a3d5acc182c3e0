import AgoraCrypto
import AgoraGossip
import AgoraWire
import Testing

@Suite("Packets and bad input")
struct PacketTests {
    let alice = try! Identity(seed: [UInt8](repeating: 1, count: 32))
    let bob = try! Identity(seed: [UInt8](repeating: 2, count: 32))

    func sample() throws -> Gossip.Datagram {
        let record = try Gossip.PeerRecord(incarnation: 3, addresses: [Gossip.Address(host: "10.0.0.1", port: 7946)],
                                           capabilities: testCapabilities(), signer: Gossip.IdentitySigner(alice))
        return Gossip.Datagram(messages: [.ping(seq: 9, target: bob.publicKey)],
                               updates: [.alive(record), .suspect(node: bob.publicKey, incarnation: 2, from: alice.publicKey)])
    }

    @Test func sealedPacketOpensToTheSameDatagram() throws {
        let d = try sample()
        let bytes = try Gossip.Packet.seal(d, by: alice, sequence: 100)
        #expect(bytes.count == d.packetSize)
        var guardian = Gossip.PacketGuard(selfID: bob.publicKey)
        let opened = try guardian.open(bytes).get()
        #expect(opened.sender == alice.publicKey)
        #expect(opened.datagram == d)
        #expect(guardian.counters.accepted == 1)
    }

    @Test func replayedAndOldPacketsAreDropped() throws {
        var guardian = Gossip.PacketGuard(selfID: bob.publicKey)
        let d = try sample()
        let p100 = try Gossip.Packet.seal(d, by: alice, sequence: 100)
        #expect((try? guardian.open(p100).get()) != nil)
        #expect((try? guardian.open(p100).get()) == nil)              // exact replay
        let p99 = try Gossip.Packet.seal(d, by: alice, sequence: 99)
        #expect((try? guardian.open(p99).get()) != nil)               // reordered, inside the window
        let p300 = try Gossip.Packet.seal(d, by: alice, sequence: 300)
        #expect((try? guardian.open(p300).get()) != nil)
        #expect((try? guardian.open(p99).get()) == nil)               // now too old
        #expect(guardian.counters.replayed == 2)
    }

    @Test func tamperedOrForeignSignedPacketsAreDropped() throws {
        var guardian = Gossip.PacketGuard(selfID: bob.publicKey)
        var bytes = try Gossip.Packet.seal(try sample(), by: alice, sequence: 1)
        bytes[50] ^= 1
        #expect(throws: GossipError.self) { try guardian.open(bytes).get() }
        // A packet claiming Alice as sender but signed by Bob.
        var body = Gossip.Packet.body(try sample(), sender: alice.publicKey, sequence: 2)
        body += bob.sign(body, in: .gossipPacket).bytes
        #expect(throws: GossipError.self) { try guardian.open(body).get() }
        #expect(guardian.counters.badSignature + guardian.counters.malformed == 2)
        #expect(guardian.counters.badSignature >= 1)
    }

    @Test func garbageTruncatedAndOversizePacketsNeverCrash() throws {
        var guardian = Gossip.PacketGuard(selfID: bob.publicKey)
        let good = try Gossip.Packet.seal(try sample(), by: alice, sequence: 5)
        for n in 0..<good.count { _ = guardian.open(Array(good.prefix(n))) }           // every truncation
        #expect(guardian.counters.accepted == 0)
        var rng = Gossip.Random(seed: 77)
        for _ in 0..<2_000 {                                                           // random garbage
            let len = rng.below(1_500)
            _ = guardian.open((0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
        for _ in 0..<2_000 {                                                           // single-byte corruptions
            var b = good
            b[rng.below(b.count)] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            _ = guardian.open(b)
        }
        _ = guardian.open([UInt8](repeating: 0, count: 1_401))
        #expect(guardian.counters.accepted == 0)
        #expect(guardian.counters.oversized >= 1)
        #expect(guardian.counters.malformed + guardian.counters.badSignature + guardian.counters.oversized
                == good.count + 4_001)
    }

    @Test func instanceBuildsPacketsWithinTheLimit() throws {
        // 40 members' records queued for gossip: every datagram the instance builds fits.
        var nodes = try (1...40).map { try TestNode(UInt8($0)) }
        formCluster(&nodes)
        var a = nodes[0].instance
        for i in 1..<40 {
            _ = nodes[i].instance.onCommand(.updateRecord(addresses: [nodes[i].address], capabilities: testCapabilities(queue: 1)),
                                            now: ms(1))
            _ = a.onDatagram(Gossip.Datagram(updates: [.alive(nodes[i].instance.record)]), from: nodes[i].peer, now: ms(2))
        }
        let round = a.onTimeout(.gossip, now: ms(200))
        #expect(!round.sends.isEmpty)
        for (d, _) in round.sends {
            #expect(d.packetSize <= Gossip.Packet.maxSize)
            #expect(try Gossip.Packet.seal(d, by: alice, sequence: 1).count == d.packetSize)
        }
    }

    @Test func pushPullRoundTripsThroughItsEnvelope() throws {
        var nodes = try (1...3).map { try TestNode(UInt8($0)) }
        formCluster(&nodes)
        let out = nodes[0].instance.onCommand(.join(bootstrap: [nodes[1].address]), now: ms(1))
        guard case .pushPull(let state, _) = try #require(out.first { if case .pushPull = $0 { true } else { false } }) else { return }
        let env = Gossip.Message.pushPull(state).envelope
        #expect(try Gossip.Message(envelope: env) == .pushPull(state))
        #expect(state.updates.map(\.subject) == state.updates.map(\.subject).sorted())
    }
}
