import AgoraCrypto
import AgoraLedger
import Foundation

/// Ed25519 signature checks per second on one core (this benchmark is single-threaded),
/// beside signing and full entry decode + verify in the same invocation.
enum SignatureBench {
    static func run(_ args: BenchArgs) {
        let count = args.int("count", default: 20_000)
        let identity = BenchArgs.identity(seedByte: 0x42)
        let body = [UInt8](repeating: 0xab, count: 128)
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(count)
        let signStart = ContinuousClock.now
        var previous = Digest.zero
        for seq in 0..<count {
            guard let e = try? LedgerEntry.sign(identity: identity, seq: UInt64(seq), previousHash: previous,
                                                time: 1_700_000_000_000, kind: .result, body: body) else {
                BenchArgs.fail("signing failed")
            }
            previous = e.hash
            entries.append(e)
        }
        let signRate = Double(count) / BenchArgs.seconds(ContinuousClock.now - signStart)

        let messages = entries.map { Array($0.signedBytes) }
        let key = identity.publicKey
        let verifyStart = ContinuousClock.now
        let verifyCPUStart = threadCPUSeconds()
        var ok = 0
        for (e, m) in zip(entries, messages) where key.isValidSignature(e.signature, for: m, in: .ledgerEntry) { ok += 1 }
        let verifyRate = Double(count) / BenchArgs.seconds(ContinuousClock.now - verifyStart)
        let verifyCPURate = Double(count) / (threadCPUSeconds() - verifyCPUStart)
        guard ok == count else { BenchArgs.fail("\(count - ok) signatures failed") }

        let encoded = entries.map(\.encoded)
        let chainStart = ContinuousClock.now
        let chainCPUStart = threadCPUSeconds()
        guard var verifier = try? Ledger.Verifier(ledgerID: key) else { BenchArgs.fail("verifier") }
        for bytes in encoded {
            do { try verifier.append(bytes: bytes) } catch { BenchArgs.fail("verify failed: \(error)") }
        }
        let chainRate = Double(count) / BenchArgs.seconds(ContinuousClock.now - chainStart)
        let chainCPURate = Double(count) / (threadCPUSeconds() - chainCPUStart)

        // Baseline in the same invocation: SHA-256 of a 65-byte Merkle node, on this thread.
        let node = [UInt8](repeating: 1, count: 65)
        let hashCount = 200_000
        let hashStart = threadCPUSeconds()
        var sink: UInt8 = 0
        for _ in 0..<hashCount { sink ^= SHA256.hash(node).bytes[0] }
        let hashRate = Double(hashCount) / (threadCPUSeconds() - hashStart)
        print(String(format: "baseline SHA-256 (65 B, 1 core):     %8.0f /s per CPU-second (%.2f µs each) [%d]", hashRate, 1e6 / hashRate, Int(sink & 0)))
        print(String(format: "Ed25519 sign (1 core):               %8.0f /s", signRate))
        print(String(format: "Ed25519 verify (1 core):             %8.0f /s wall, %8.0f /s per CPU-second of this thread (%.1f µs CPU each; %.2f× sign wall time)",
                     verifyRate, verifyCPURate, 1e6 / verifyCPURate, signRate / verifyRate))
        print(String(format: "entry decode+chain+verify+Merkle:    %8.0f /s wall, %8.0f /s per CPU-second (%d entries of %d B)",
                     chainRate, chainCPURate, count, encoded.first?.count ?? 0))
        print(String(format: "ratio: one Ed25519 verify costs %.0f SHA-256 node hashes", hashRate / verifyCPURate))
    }
}

/// CPU time consumed by the calling thread, in seconds (unaffected by other processes
/// competing for the cores).
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
