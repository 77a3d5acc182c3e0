import AgoraCrypto
import AgoraLedger
import AgoraLedgerStore
import Foundation

/// A fresh temporary directory per test, removed when the value is dropped.
final class TempDir: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "agora-ledger-store-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

enum StoreFixtures {
    static let owner = try! Identity(seed: [UInt8](repeating: 7, count: 32))
    static let other = try! Identity(seed: [UInt8](repeating: 9, count: 32))

    /// Appends `count` entries concurrently and returns them sorted by seq.
    static func fill(_ store: LedgerStore, count: Int, concurrency: Int = 64) async throws -> [LedgerEntry] {
        try await withThrowingTaskGroup(of: [LedgerEntry].self) { group in
            for w in 0..<concurrency {
                group.addTask {
                    var out: [LedgerEntry] = []
                    var i = w
                    while i < count {
                        out.append(try await store.append(kind: .result, body: Array("item \(i)".utf8)))
                        i += concurrency
                    }
                    return out
                }
            }
            var all: [LedgerEntry] = []
            for try await part in group { all += part }
            return all.sorted { $0.seq < $1.seq }
        }
    }

    static func sha256(file: String) -> String {
        SHA256.hash(Array((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data())).hex
    }
}

/// SplitMix64: seeded randomness.
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
