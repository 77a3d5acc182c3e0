import AgoraLedger
import AgoraLedgerStore
import Foundation

/// The crash test's child: appends as fast as it can from many tasks and prints each
/// acknowledged seq on stdout right after `append` returns (so after the commit is
/// durable). The parent SIGKILLs it at random moments and checks the database.
enum CrashChild {
    static func run(_ args: BenchArgs) async {
        let path = args.required("db")
        let identity = BenchArgs.identity(seedByte: args.int("seed", default: 7))
        let concurrency = args.int("concurrency", default: 32)
        let store: LedgerStore
        do {
            store = try LedgerStore.open(path: path, identity: identity,
                                         options: .init(checkpointIntervalMilliseconds: 50))
        } catch { BenchArgs.fail("\(error)") }
        emitLine("ready \(await store.count)")
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<concurrency {
                group.addTask {
                    var n = 0
                    while true {
                        var body = Array("crash-child worker \(w) item \(n)".utf8)
                        body += [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: n % 200)
                        do {
                            let e = try await store.append(kind: .result, body: body)
                            emitLine("\(e.seq)")
                        } catch { BenchArgs.fail("append failed: \(error)") }
                        n += 1
                    }
                }
            }
        }
    }
}
