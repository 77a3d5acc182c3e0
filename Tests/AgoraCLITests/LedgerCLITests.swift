import AgoraCrypto
import AgoraLedger
import AgoraLedgerStore
import Foundation
import Testing

/// Runs the built `agora` binary on a temporary data directory.
@Suite struct LedgerCLITests {
    /// The `agora` executable next to the test bundle.
    static func agoraExecutable() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["AGORA_BIN"] { candidates.append(env) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("agora").path)
            dir.deleteLastPathComponent()
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        candidates.append(root.appendingPathComponent(".build/debug/agora").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) throws -> Output {
        guard let exe = agoraExecutable() else {
            throw CLITestError("agora binary not found next to \(CommandLine.arguments[0]); run `swift build --product agora` first or set AGORA_BIN")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    struct CLITestError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    func tempDir() -> String {
        let path = NSTemporaryDirectory() + "agora-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func initIsIdempotentAndPrintsTheNodeID() throws {
        let root = tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/data"
        let first = try Self.run(["init", "--data-dir", dir])
        #expect(first.status == 0, "\(first.stderr)")
        let identity = try IdentityFile.load(from: dir + "/identity.key")
        #expect(first.stdout.contains("node id: \(identity.publicKey.hex)"))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/identity.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(FileManager.default.fileExists(atPath: dir + "/ledger.sqlite"))
        let second = try Self.run(["init", "--data-dir", dir])
        #expect(second.status == 0)
        #expect(second.stdout.contains("node id: \(identity.publicKey.hex)"))
    }

    @Test func verifyShowProofExportAndTamper() async throws {
        let root = tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/data"
        #expect(try Self.run(["init", "--data-dir", dir]).status == 0)
        // Fill the ledger through the store, as a node would.
        let identity = try IdentityFile.load(from: dir + "/identity.key")
        let store = try LedgerStore.open(path: dir + "/ledger.sqlite", identity: identity)
        var entries: [LedgerEntry] = []
        for i in 0..<8 { entries.append(try await store.append(kind: .result, body: Array("job \(i) result".utf8))) }
        let checkpoint = try await store.checkpoint()
        await store.close()

        let verify = try Self.run(["ledger", "verify", "--data-dir", dir])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("8 entries verified"))

        let show = try Self.run(["ledger", "show", "--data-dir", dir, "--from", "2", "--limit", "3", "--json"])
        #expect(show.status == 0)
        let shown = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [[String: Any]]
        #expect(shown?.compactMap { $0["seq"] as? Int } == [2, 3, 4])
        #expect(shown?.first?["hash"] as? String == entries[2].hash.hex)

        let proof = try Self.run(["ledger", "proof", "--data-dir", dir, "--seq", "5", "--json"])
        #expect(proof.status == 0, "\(proof.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(proof.stdout.utf8)) as? [String: Any])
        let proofBytes = try Hex.decode(try #require(object["proofHex"] as? String))
        let parsed = try Ledger.InclusionProof(bytes: proofBytes)
        try parsed.verify(entry: entries[5], checkpoint: checkpoint.checkpoint)

        let exportPath = root + "/ledger.export"
        let export = try Self.run(["ledger", "export", "--data-dir", dir, "--out", exportPath])
        #expect(export.status == 0, "\(export.stderr)")
        let good = try Self.run(["ledger", "verify", "--file", exportPath])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")

        // Flip one byte inside entry 4's body in the export file.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: exportPath)))
        var offset = Ledger.Export.headerSize + 4 + checkpoint.note.count
        for e in entries.prefix(4) { offset += 4 + e.encoded.count }
        bytes[offset + 4 + entries[4].encoded.count - 70] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: exportPath))
        let bad = try Self.run(["ledger", "verify", "--file", exportPath])
        #expect(bad.status != 0)
        #expect(bad.stdout.contains("entry 4"), "\(bad.stdout)")
        #expect(bad.stdout.contains("badSignature"), "\(bad.stdout)")

        // A missing entry in a truncated export is named too.
        try Data(bytes.prefix(offset)).write(to: URL(fileURLWithPath: exportPath))
        let truncated = try Self.run(["ledger", "verify", "--file", exportPath])
        #expect(truncated.status != 0)
        #expect(truncated.stdout.contains("entry 4"), "\(truncated.stdout)")
    }

    @Test func verifyOfAMissingLedgerFailsCleanly() throws {
        let root = tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try Self.run(["ledger", "verify", "--db", root + "/nothing.sqlite"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("nothing.sqlite"))
    }
}
