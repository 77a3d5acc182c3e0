import AgoraCrypto
import AgoraLedger
import AgoraLedgerStore
import Foundation

/// Durable signed appends per second: one sequential appender (baseline: one
/// transaction and fsync per entry) against many concurrent appenders (group commit).
enum AppendBench {
    static func run(_ args: BenchArgs) async {
        let dir = args.required("db")
        let count = args.int("count", default: 20_000)
        let concurrency = args.int("concurrency", default: 256)
        let checkpointMs = Int64(args.int("checkpoint-ms", default: 1_000))
        let identity = BenchArgs.identity(seedByte: 0x42)
        let body = [UInt8](repeating: 0xab, count: 128)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        let seqCount = max(200, count / 20)
        let seqStore = open(dir + "/sequential.sqlite", identity, checkpointMs)
        let seqStart = ContinuousClock.now
        for _ in 0..<seqCount { _ = try? await seqStore.append(kind: .result, body: body) }
        let seqRate = Double(seqCount) / BenchArgs.seconds(ContinuousClock.now - seqStart)
        await seqStore.close()

        let store = open(dir + "/grouped.sqlite", identity, checkpointMs)
        let start = ContinuousClock.now
        let latencies = await withTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var lat: [Double] = []
                    var i = worker
                    while i < count {
                        let t0 = ContinuousClock.now
                        do { _ = try await store.append(kind: .result, body: body) } catch {
                            BenchArgs.fail("append failed: \(error)")
                        }
                        lat.append(BenchArgs.seconds(ContinuousClock.now - t0))
                        i += concurrency
                    }
                    return lat
                }
            }
            var all: [Double] = []
            for await l in group { all += l }
            return all.sorted()
        }
        let elapsed = BenchArgs.seconds(ContinuousClock.now - start)
        _ = try? await store.checkpoint()
        let checkpoints = (try? store.database.checkpointSizes().count) ?? 0
        let lag = checkpointLag(store.database)
        await store.close()
        let rate = Double(count) / elapsed
        let p50 = latencies[latencies.count / 2] * 1000, p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000
        print(String(format: "sequential appender:   %8.0f appends/s (%d entries, one fsync each)", seqRate, seqCount))
        print(String(format: "group commit (%4d):    %8.0f appends/s (%d entries in %.2f s), append latency p50 %.1f ms, p99 %.1f ms",
                     concurrency, rate, count, elapsed, p50, p99))
        print(String(format: "ratio group/sequential: %.1f×; checkpoints signed: %d (every %d ms when due)",
                     rate / seqRate, checkpoints, checkpointMs))
        print(String(format: "append-to-checkpoint (entry time → first checkpoint covering it): p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                     lag.p50, lag.p99, lag.max))
    }

    /// For every entry, the time from its append to the first checkpoint that covers it.
    static func checkpointLag(_ db: LedgerDatabase) -> (p50: Double, p99: Double, max: Double) {
        guard let sizes = try? db.checkpointSizes(), let total = try? db.count() else { return (0, 0, 0) }
        let checkpoints = sizes.compactMap { try? db.checkpoint(size: $0)?.checkpoint }
        var lags: [Double] = []
        var c = 0
        var from: UInt64 = 0
        while from < total {
            guard let batch = try? db.entries(from: from, limit: 10_000), !batch.isEmpty else { break }
            for e in batch {
                while c < checkpoints.count && checkpoints[c].size <= e.seq { c += 1 }
                if c < checkpoints.count { lags.append(Double(checkpoints[c].time - e.time)) }
            }
            from += UInt64(batch.count)
        }
        lags.sort()
        guard !lags.isEmpty else { return (0, 0, 0) }
        return (lags[lags.count / 2], lags[min(lags.count - 1, lags.count * 99 / 100)], lags[lags.count - 1])
    }

    static func open(_ path: String, _ identity: Identity, _ checkpointMs: Int64) -> LedgerStore {
        for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        do {
            return try LedgerStore.open(path: path, identity: identity,
                                        options: .init(checkpointIntervalMilliseconds: checkpointMs))
        } catch { BenchArgs.fail("\(error)") }
    }
}
