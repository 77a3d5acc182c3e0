import AgoraCrypto
import AgoraLedger
import Foundation
import Testing
@testable import AgoraLedgerStore
#if canImport(Glibc)
import Glibc
#endif

/// Kills a writer with SIGKILL at random moments and checks that every entry it
/// acknowledged survived and that the whole ledger still verifies.
@Suite struct CrashSafetyTests {
    static let seed: UInt64 = 20_261_123
    static let trials = 24

    /// The `agora-ledger-bench` executable built next to this test bundle.
    static func benchExecutable() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["AGORA_LEDGER_BENCH"] { candidates.append(env) }
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = argv0.deletingLastPathComponent()
        for _ in 0..<4 {  // …/debug/AgoraCorePackageTests.xctest[/Contents/MacOS/…]
            candidates.append(dir.appendingPathComponent("agora-ledger-bench").path)
            dir.deleteLastPathComponent()
        }
        if let exe = Bundle.main.executableURL?.deletingLastPathComponent() {
            candidates.append(exe.appendingPathComponent("agora-ledger-bench").path)
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }  // Tests/AgoraLedgerStoreTests/file → package root
        candidates.append(root.appendingPathComponent(".build/debug/agora-ledger-bench").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func acknowledgedEntriesSurviveSIGKILL() async throws {
        guard let exe = Self.benchExecutable() else {
            Issue.record("agora-ledger-bench not found next to the test bundle (\(CommandLine.arguments[0])); build it with `swift build --package-path Packages/AgoraCore --product agora-ledger-bench` or set AGORA_LEDGER_BENCH")
            return
        }
        let dir = TempDir()
        let db = dir.file("crash.sqlite")
        var rng = SplitMix64(seed: Self.seed)
        var history: [(size: UInt64, root: Digest)] = []
        var totalAcked = 0
        var verifier = try Ledger.Verifier(ledgerID: try Identity(seed: [UInt8](repeating: 7, count: 32)).publicKey)
        for trial in 0..<Self.trials {
            let delayMs = Int.random(in: 20...350, using: &rng)
            let run = try ChildRun(executable: exe, arguments: ["crash-child", "--db", db, "--concurrency", "32"])
            let acked = run.collect(afterReadyMs: delayMs)
            totalAcked += acked.count
            let database = try LedgerDatabase.openReadOnly(path: db)
            let count = try database.count()
            if let maxAcked = acked.max() {
                #expect(count > maxAcked, "seed \(Self.seed) trial \(trial): acknowledged seq \(maxAcked) missing (ledger has \(count))")
            }
            // Verify the entries new since the last trial with a verifier that has seen
            // all earlier ones (chain, seq, signatures), then the stored tree and the
            // latest checkpoint against it. The last trial re-verifies everything from disk.
            do {
                while verifier.count < count {
                    for (_, bytes) in try database.rawEntries(from: verifier.count, limit: 4_096) { try verifier.append(bytes: bytes) }
                }
            } catch {
                Issue.record("seed \(Self.seed) trial \(trial): ledger does not verify: \(error)")
                return
            }
            #expect(try database.root(size: count) == verifier.root, "seed \(Self.seed) trial \(trial): stored tree differs")
            if let c = try database.latestCheckpoint()?.checkpoint {
                let root = try database.root(size: min(c.size, count))
                #expect(c.size <= count && root == c.root, "seed \(Self.seed) trial \(trial): checkpoint mismatch")
            }
            if trial == Self.trials - 1 {
                guard case .valid = try database.verify() else {
                    Issue.record("seed \(Self.seed): final ledger does not verify: \(try database.verify())")
                    return
                }
            }
            // Nothing written before was rewritten: earlier roots are still the roots.
            for h in history {
                #expect(try database.root(size: h.size) == h.root, "seed \(Self.seed) trial \(trial): prefix \(h.size) changed")
            }
            history.append((count, try database.root(size: count)))
            try? database.pool.close()
        }
        #expect(totalAcked > Self.trials, "seed \(Self.seed): the child acknowledged only \(totalAcked) entries")
    }
}

/// A child process with its stdout on a pipe, killed with SIGKILL.
struct ChildRun {
    let pid: pid_t
    let readFD: Int32

    init(executable: String, arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        self.pid = pid
        readFD = fds[0]
    }

    /// Reads lines until the child says `ready`, waits `afterReadyMs` more while reading,
    /// SIGKILLs it, drains the pipe and returns every acknowledged seq it printed.
    func collect(afterReadyMs: Int) -> [UInt64] {
        var text = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var deadline: ContinuousClock.Instant? = nil
        let giveUp = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < giveUp {
            if deadline == nil, text.contains(UInt8(ascii: "\n")) { deadline = .now + .milliseconds(afterReadyMs) }
            if let deadline, ContinuousClock.now >= deadline { break }
            var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 10) >= 0 else { break }
            if pfd.revents != 0 {
                let n = read(readFD, &buffer, buffer.count)
                if n <= 0 { break }
                text += buffer[0..<n]
            }
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        while true {
            let n = read(readFD, &buffer, buffer.count)
            if n <= 0 { break }
            text += buffer[0..<n]
        }
        close(readFD)
        // Only complete lines count: a line cut by the kill was not fully reported.
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        return lines.compactMap { UInt64(String(decoding: $0, as: UTF8.self)) }
    }
}
