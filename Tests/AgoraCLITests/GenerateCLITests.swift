import Foundation
import Testing

/// `agora generate` on the real default model, through the built binary.
@Suite struct GenerateCLITests {
    @Test("--context sizes the job's context: a small one still generates, one below the limit is refused")
    func context() throws {
        let ok = try LedgerCLITests.run(["generate", "--prompt", "Say hello.", "--max-tokens", "8", "--context", "256", "--threads", "1"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!ok.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let bad = try LedgerCLITests.run(["generate", "--prompt", "Say hello.", "--context", "8"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("context per slot must be 16...131072 tokens, got 8"), "\(bad.stderr)")
        let tooSmall = try LedgerCLITests.run(["generate", "--prompt", String(repeating: "word ", count: 100), "--context", "32", "--threads", "1"])
        #expect(tooSmall.status != 0)
        #expect(tooSmall.stderr.contains("exceed the context of 32 tokens"), "\(tooSmall.stderr)")
    }
}
