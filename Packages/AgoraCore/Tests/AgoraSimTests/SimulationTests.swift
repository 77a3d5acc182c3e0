import AgoraGossip
@testable import AgoraSim
import Testing

/// Small, fast simulations (the big runs are `agora-sim` benchmarks). Every expectation
/// names the seed so a failure can be replayed with `agora-sim … --seed S`.
@Suite("Simulation")
struct SimulationTests {
    @Test(arguments: [UInt64(7), 8])
    func sameSeedGivesTheSameTrace(seed: UInt64) throws {
        var c = Sim.Config(nodes: 40, seed: seed)
        c.network.loss = 0.1
        let a = try Sim.falsePositives(c, seconds: 8, warmup: 1).traceHash
        let b = try Sim.falsePositives(c, seconds: 8, warmup: 1).traceHash
        c.seed += 100
        let other = try Sim.falsePositives(c, seconds: 8, warmup: 1).traceHash
        #expect(a == b, "seed \(seed): two runs differ")
        #expect(a != other, "seed \(seed): another seed gave the same trace")
    }

    @Test func crashedNodesAreDeclaredDeadEverywhere() throws {
        let seed: UInt64 = 11
        let r = try Sim.crashDetection(Sim.Config(nodes: 60, seed: seed), batches: 2, perBatch: 2, spacing: 15, warmup: 3)
        #expect(r.undetected == 0, "seed \(seed)")
        #expect(r.falseDead == 0, "seed \(seed)")
        #expect(r.clusterDead.max < 8, "seed \(seed): \(r.clusterDead)")
        #expect(r.firstSuspicion.percentile(50) < 1.6, "seed \(seed): \(r.firstSuspicion)")
    }

    @Test func newRecordReachesEveryNodeUnderLoss() throws {
        let seed: UInt64 = 12
        var c = Sim.Config(nodes: 100, seed: seed)
        c.network.loss = 0.2
        let r = try Sim.dissemination(c, trials: 3, coverage: 1.0, spacing: 3, warmup: 2)
        #expect(r.incomplete == 0, "seed \(seed)")
        #expect(r.timeToCoverage.max < 2.0, "seed \(seed): \(r.timeToCoverage)")
    }

    @Test func partitionsHealWithoutResurrections() throws {
        let seed: UInt64 = 13
        var c = Sim.Config(nodes: 24, seed: seed)
        c.settings.deadRetention = .seconds(5)
        c.settings.pushPullInterval = .seconds(5)
        c.settings.reconnectInterval = .seconds(3)
        let r = try Sim.partitions(c, cycles: 6)
        #expect(r.resurrections == 0, "seed \(seed)")
        #expect(r.unconverged == 0, "seed \(seed)")
        #expect(r.deadEvents > 0, "seed \(seed): the partitions should have caused dead declarations")
    }

    @Test func lifeguardAvoidsFalseDeadsThatPlainSwimMakes() throws {
        let seed: UInt64 = 14
        var c = Sim.Config(nodes: 50, seed: seed)
        c.network.loss = 0.1
        let on = try Sim.falsePositives(c, seconds: 20, stalledShare: 0.1)
        c.settings.lifeguard = false
        let off = try Sim.falsePositives(c, seconds: 20, stalledShare: 0.1)
        #expect(on.falseDeadEvents == 0, "seed \(seed)")
        #expect(off.falseDeadEvents > 0, "seed \(seed): plain SWIM with a 1 s timeout should misfire on 1–2 s stalls")
    }

    /// Suspect events in 10 s of N=10 where every datagram is lost (streams still work).
    func suspicionsWithoutDatagrams(streamPing: Bool, seed: UInt64) throws -> Int {
        var c = Sim.Config(nodes: 10, seed: seed)
        c.network.loss = 1.0
        c.settings.streamPing = streamPing
        let sim = try Sim.Simulation(config: c)
        var suspects = 0
        sim.onEvent = { _, _, e in if case .suspect = e { suspects += 1 } }
        sim.run(until: 10_000_000_000)
        return suspects
    }

    @Test func streamPingKeepsMembersAliveWhenEveryDatagramIsLost() throws {
        let seed: UInt64 = 15
        #expect(try suspicionsWithoutDatagrams(streamPing: true, seed: seed) == 0, "seed \(seed)")
        #expect(try suspicionsWithoutDatagrams(streamPing: false, seed: seed) > 0, "seed \(seed)")
    }

    @Test func realPacketsAndSignaturesCarryTheProtocol() throws {
        // Every datagram sealed with Ed25519 and opened by a PacketGuard; records signed and verified.
        let seed: UInt64 = 15
        var c = Sim.Config(nodes: 16, seed: seed)
        c.realPackets = true
        c.signatures = .ed25519
        let r = try Sim.crashDetection(c, batches: 1, perBatch: 1, spacing: 12, warmup: 2)
        #expect(r.undetected == 0 && r.falseDead == 0, "seed \(seed)")
        let d = try Sim.dissemination(c, trials: 2, coverage: 1.0, spacing: 2, warmup: 1)
        #expect(d.incomplete == 0, "seed \(seed)")
    }
}
