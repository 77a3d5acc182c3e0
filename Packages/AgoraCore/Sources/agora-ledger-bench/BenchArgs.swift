import AgoraCrypto
import Foundation

/// `--name value` options, parsed without a dependency.
struct BenchArgs {
    private var values: [String: String] = [:]

    init(_ list: [String]) {
        var i = 0
        while i < list.count {
            let key = list[i]
            if key.hasPrefix("--"), i + 1 < list.count {
                values[String(key.dropFirst(2))] = list[i + 1]
                i += 2
            } else {
                BenchArgs.fail("unexpected argument \(key)")
            }
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func required(_ name: String) -> String {
        guard let v = values[name] else { BenchArgs.fail("missing --\(name)") }
        return v
    }

    func int(_ name: String, default d: Int) -> Int {
        guard let s = values[name] else { return d }
        guard let v = Int(s) else { BenchArgs.fail("--\(name) must be an integer, got \(s)") }
        return v
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("agora-ledger-bench: \(message)\n".utf8))
        exit(2)
    }

    static func usage() -> Never {
        fail("""
            usage:
              agora-ledger-bench append --db PATH [--count N] [--concurrency C] [--checkpoint-ms MS]
              agora-ledger-bench signatures [--count N]
              agora-ledger-bench proofs --db PATH [--entries N] [--samples S]
              agora-ledger-bench crash-child --db PATH [--seed BYTE] [--concurrency C]
            """)
    }

    /// A deterministic identity whose seed is 32 copies of one byte.
    static func identity(seedByte: Int) -> Identity {
        guard let id = try? Identity(seed: [UInt8](repeating: UInt8(truncatingIfNeeded: seedByte), count: 32)) else {
            fail("cannot derive an identity")
        }
        return id
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Writes one line to stdout immediately (no buffering), so a parent sees exactly what
/// was written before a SIGKILL.
func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
