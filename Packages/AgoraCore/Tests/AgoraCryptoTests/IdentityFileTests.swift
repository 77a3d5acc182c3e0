import Testing
import Foundation
@testable import AgoraCrypto

@Suite struct IdentityFileTests {
    /// A key path in a fresh temporary directory, and the directory to remove when the test ends.
    func tempPath() throws -> (path: String, dir: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir.appendingPathComponent("identity.key").path, dir)
    }

    @Test func savedWith0600AndLoadsBack() throws {
        let (path, dir) = try tempPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let id = Identity.generate()
        try IdentityFile.save(id, to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try IdentityFile.load(from: path).publicKey == id.publicKey)
        // never overwrites an existing key
        #expect(throws: CryptoError.self) { try IdentityFile.save(Identity.generate(), to: path) }
    }

    @Test func worldReadableRefused() throws {
        let (path, dir) = try tempPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        try IdentityFile.save(Identity.generate(), to: path)
        chmod(path, 0o644)
        let err = #expect(throws: CryptoError.self) { try IdentityFile.load(from: path) }
        #expect(err?.code == .insecureKeyFile)
        #expect(err?.context.contains(path) == true)
    }

    @Test func missingAndMalformedFilesNamed() throws {
        let (path, dir) = try tempPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = #expect(throws: CryptoError.self) { try IdentityFile.load(from: path) }
        #expect(missing?.code == .keyFile)
        #expect(missing?.context.contains(path) == true)
        _ = FileManager.default.createFile(atPath: path, contents: Data("garbage\n".utf8), attributes: [.posixPermissions: 0o600])
        let bad = #expect(throws: CryptoError.self) { try IdentityFile.load(from: path) }
        #expect(bad?.code == .keyFile)
    }
}
