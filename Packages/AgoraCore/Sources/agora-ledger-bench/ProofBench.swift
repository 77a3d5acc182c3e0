import AgoraCrypto
import AgoraLedger
import AgoraLedgerStore
import AgoraWire
import Foundation

/// Inclusion and consistency proofs at scale: generation from the database, size on the
/// wire, and verification time. Builds the ledger first if it has fewer entries.
enum ProofBench {
    static func run(_ args: BenchArgs) async {
        let path = args.required("db")
        let entries = UInt64(args.int("entries", default: 1_000_000))
        let samples = args.int("samples", default: 2_000)
        let identity = BenchArgs.identity(seedByte: 0x43)
        let store: LedgerStore
        do { store = try LedgerStore.open(path: path, identity: identity) } catch { BenchArgs.fail("\(error)") }
        let have = await store.count
        if have < entries {
            let start = ContinuousClock.now
            let missing = Int(entries - have)
            let workers = 4_096
            await withTaskGroup(of: Void.self) { group in
                for w in 0..<workers {
                    group.addTask {
                        var i = w
                        while i < missing {
                            var body = [UInt8](repeating: 0xcd, count: 96)
                            body[0] = UInt8(truncatingIfNeeded: i)
                            do { _ = try await store.append(kind: .result, body: body) } catch { BenchArgs.fail("\(error)") }
                            i += workers
                        }
                    }
                }
            }
            let s = BenchArgs.seconds(ContinuousClock.now - start)
            print(String(format: "built %d entries in %.1f s (%.0f appends/s)", missing, s, Double(missing) / s))
        }
        let checkpoint: SignedCheckpoint
        do { checkpoint = try await store.checkpoint() } catch { BenchArgs.fail("\(error)") }
        let size = checkpoint.checkpoint.size, root = checkpoint.checkpoint.root
        var rng = SplitMix64(seed: 1)
        let seqs = (0..<samples).map { _ in rng.next() % size }

        var proofs: [(Ledger.InclusionProof, Digest)] = []
        let genStart = ContinuousClock.now
        for seq in seqs {
            do {
                let p = try store.database.inclusionProof(seq: seq, treeSize: size)
                proofs.append((p, try store.database.entry(seq: seq).leafHash))
            } catch { BenchArgs.fail("\(error)") }
        }
        let genTime = BenchArgs.seconds(ContinuousClock.now - genStart) / Double(samples)

        let verifyStart = threadCPUSeconds()
        for (p, leaf) in proofs {
            do { try p.verify(leafHash: leaf, root: root) } catch { BenchArgs.fail("proof failed: \(error)") }
        }
        let verifyTime = (threadCPUSeconds() - verifyStart) / Double(samples)

        let noteStart = threadCPUSeconds()
        for _ in 0..<samples { _ = try? SignedCheckpoint(note: checkpoint.note) }
        let noteTime = (threadCPUSeconds() - noteStart) / Double(samples)

        let consistencyStart = ContinuousClock.now
        var consistencySize = 0
        for seq in seqs.prefix(200) {
            do {
                let p = try store.database.consistencyProof(from: seq + 1, to: size)
                consistencySize = max(consistencySize, p.wireBytes.count)
            } catch { BenchArgs.fail("\(error)") }
        }
        let consistencyTime = BenchArgs.seconds(ContinuousClock.now - consistencyStart) / Double(min(200, samples))
        await store.close()

        let maxHashes = proofs.map { $0.0.hashes.count }.max() ?? 0
        let maxBytes = proofs.map { $0.0.wireBytes.count }.max() ?? 0
        print("tree size \(size), \(samples) random leaves")
        print(String(format: "inclusion proof: ≤ %d hashes, ≤ %d B on the wire; generate %.0f µs wall (SQLite), verify %.1f µs CPU", maxHashes, maxBytes, genTime * 1e6, verifyTime * 1e6))
        print(String(format: "checkpoint parse + signature check: %.1f µs CPU (note %d B); proof + checkpoint verify ≈ %.1f µs CPU",
                     noteTime * 1e6, checkpoint.note.count, (noteTime + verifyTime) * 1e6))
        print(String(format: "consistency proof to %d: ≤ %d B, generate %.0f µs", size, consistencySize, consistencyTime * 1e6))
    }
}

/// SplitMix64: a small seeded generator for reproducible sampling.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
