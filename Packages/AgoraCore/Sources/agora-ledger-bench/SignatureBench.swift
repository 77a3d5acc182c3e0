import AgoraCrypto
import AgoraLedger
import Foundation

/// Ed25519 signature checks per second on one core (this benchmark is single-threaded):
/// libsodium's verify (the baseline), the per-key table, and `PublicKey.isValidSignature`
/// through the table cache, beside signing, the one-off table build and full entry
/// decode + verify in the same invocation.
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

        // Baseline: libsodium's crypto_sign_verify_detached for every check.
        let sodium = measure(count) { i in key.isValidSignatureByLibsodium(entries[i].signature, for: messages[i], in: .ledgerEntry) }
        // The per-key table, built once (its cost is measured separately below).
        guard let table = VerificationKeyTable(key: key) else { BenchArgs.fail("cannot build a verification table") }
        let tabled = measure(count) { i in table.isValidSignature(entries[i].signature, for: messages[i], in: .ledgerEntry) }
        // What callers get: PublicKey.isValidSignature through the shared table cache.
        let cached = measure(count) { i in key.isValidSignature(entries[i].signature, for: messages[i], in: .ledgerEntry) }
        for (name, run) in [("libsodium", sodium), ("table", tabled), ("cached", cached)] where run.ok != count {
            BenchArgs.fail("\(name): \(count - run.ok) signatures failed")
        }
        let builds = 200
        let buildStart = threadCPUSeconds()
        var usable = 0
        for _ in 0..<builds where VerificationKeyTable(key: key)?.isUsable == true { usable += 1 }
        let buildMicros = (threadCPUSeconds() - buildStart) / Double(builds) * 1e6
        guard usable == builds else { BenchArgs.fail("table builds failed") }

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
        print(String(format: "Ed25519 verify, libsodium (1 core):  %8.0f /s wall, %8.0f /s per CPU-second of this thread (%.1f µs CPU each; %.2f× sign wall time)",
                     sodium.wallRate, sodium.cpuRate, 1e6 / sodium.cpuRate, signRate / sodium.wallRate))
        print(String(format: "Ed25519 verify, per-key table:       %8.0f /s wall, %8.0f /s per CPU-second (%.1f µs CPU each; %.2f× libsodium)",
                     tabled.wallRate, tabled.cpuRate, 1e6 / tabled.cpuRate, tabled.cpuRate / sodium.cpuRate))
        print(String(format: "Ed25519 verify, PublicKey (cached):  %8.0f /s wall, %8.0f /s per CPU-second (%.1f µs CPU each; %.2f× libsodium)",
                     cached.wallRate, cached.cpuRate, 1e6 / cached.cpuRate, cached.cpuRate / sodium.cpuRate))
        print(String(format: "per-key table build (one-off):       %8.1f µs CPU (= %.1f libsodium verifies; mean of %d)",
                     buildMicros, buildMicros / (1e6 / sodium.cpuRate), builds))
        print(String(format: "entry decode+chain+verify+Merkle:    %8.0f /s wall, %8.0f /s per CPU-second (%d entries of %d B)",
                     chainRate, chainCPURate, count, encoded.first?.count ?? 0))
        print(String(format: "ratio: one Ed25519 verify costs %.0f SHA-256 node hashes (libsodium), %.0f (per-key table)",
                     hashRate / sodium.cpuRate, hashRate / tabled.cpuRate))
    }
}

/// Rates of one single-threaded verification loop.
struct VerifyRun {
    var ok: Int
    var wallRate: Double
    var cpuRate: Double
}

/// Runs `check(i)` for i in 0..<count on this thread; counts the passes and times the loop.
func measure(_ count: Int, _ check: (Int) -> Bool) -> VerifyRun {
    let wallStart = ContinuousClock.now
    let cpuStart = threadCPUSeconds()
    var ok = 0
    for i in 0..<count where check(i) { ok += 1 }
    let cpu = threadCPUSeconds() - cpuStart
    let wall = BenchArgs.seconds(ContinuousClock.now - wallStart)
    return VerifyRun(ok: ok, wallRate: Double(count) / wall, cpuRate: Double(count) / cpu)
}

/// CPU time consumed by the calling thread, in seconds (unaffected by other processes
/// competing for the cores).
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
