import AgoraAPI
import Foundation
import Testing

@Suite("agora bench load: options, plan, percentiles")
struct LoadStatisticsTests {
    @Test("--max-tokens parses A-B and A, and rejects everything else")
    func tokenRange() {
        #expect(TokenRange(parsing: "16-64") == TokenRange(lower: 16, upper: 64))
        #expect(TokenRange(parsing: "16") == TokenRange(exactly: 16))
        #expect(TokenRange(parsing: " 8 - 9 ") == TokenRange(lower: 8, upper: 9))
        #expect(TokenRange(parsing: "5-5")?.description == "5")
        #expect(TokenRange(parsing: "16-64")?.description == "16-64")
        for bad in ["", "0", "0-4", "5-3", "a", "a-b", "1-2-3", "-4", "16-", "1.5", "1-2000000"] {
            #expect(TokenRange(parsing: bad) == nil, "\(bad) should not parse")
        }
        #expect(TokenRange(exactly: 0) == TokenRange(exactly: 1))
    }

    @Test("the seeded generator is SplitMix64 and draws uniformly within bounds")
    func generator() {
        var g = SeededGenerator(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)  // SplitMix64's published first output for seed 0
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        #expect((0..<8).map { _ in a.next() } == (0..<8).map { _ in b.next() })
        var r = SeededGenerator(seed: 7)
        guard let range = TokenRange(lower: 3, upper: 6) else { Issue.record("range"); return }
        let draws = (0..<2000).map { _ in r.draw(in: range) }
        #expect(draws.allSatisfy { (3...6).contains($0) })
        #expect(Set(draws) == [3, 4, 5, 6])
        #expect((0..<100).allSatisfy { _ in r.draw(below: 1) == 0 })
    }

    @Test("the plan is reproducible, streams the asked share and disconnects only streamed requests")
    func plan() throws {
        guard let range = TokenRange(lower: 16, upper: 64) else { Issue.record("range"); return }
        let p1 = try LoadPlan.make(requests: 100, maxTokens: range, streamShare: 0.3, disconnects: 5, seed: 1)
        let p2 = try LoadPlan.make(requests: 100, maxTokens: range, streamShare: 0.3, disconnects: 5, seed: 1)
        let p3 = try LoadPlan.make(requests: 100, maxTokens: range, streamShare: 0.3, disconnects: 5, seed: 2)
        #expect(p1 == p2)
        #expect(p1 != p3)
        #expect(p1.map(\.index) == Array(0..<100))
        #expect(p1.filter(\.stream).count == 30)
        #expect(p1.filter(\.disconnect).count == 5)
        #expect(p1.allSatisfy { !$0.disconnect || $0.stream })
        #expect(p1.allSatisfy { (16...64).contains($0.maxTokens) })
        #expect(Set(p1.map(\.maxTokens)).count > 10)

        let none = try LoadPlan.make(requests: 10, maxTokens: TokenRange(exactly: 16), streamShare: 0, disconnects: 0, seed: 1)
        #expect(none.allSatisfy { !$0.stream && $0.maxTokens == 16 })
        let all = try LoadPlan.make(requests: 10, maxTokens: TokenRange(exactly: 16), streamShare: 1, disconnects: 10, seed: 1)
        #expect(all.allSatisfy { $0.stream && $0.disconnect })
        #expect(LoadPlan.streamedCount(requests: 3, streamShare: 0.5) == 2)
        #expect(LoadPlan.streamedCount(requests: 100, streamShare: 0.004) == 0)

        #expect(throws: LoadPlanError.self) {
            try LoadPlan.make(requests: 10, maxTokens: TokenRange(exactly: 16), streamShare: 0.2, disconnects: 3, seed: 1)
        }
        #expect(throws: LoadPlanError.self) {
            try LoadPlan.make(requests: 0, maxTokens: TokenRange(exactly: 16), streamShare: 0, disconnects: 0, seed: 1)
        }
        #expect(throws: LoadPlanError.self) {
            try LoadPlan.make(requests: 10, maxTokens: TokenRange(exactly: 16), streamShare: 1.5, disconnects: 0, seed: 1)
        }
    }

    @Test("percentiles are nearest-rank")
    func percentiles() {
        let hundred = (1...100).map(Double.init)
        let s = PercentileSummary(hundred.shuffled())
        #expect(s.count == 100 && s.p50 == 50 && s.p90 == 90 && s.p99 == 99 && s.max == 100)
        let one = PercentileSummary([7])
        #expect(one.p50 == 7 && one.p90 == 7 && one.p99 == 7)
        let ten = PercentileSummary((1...10).map(Double.init))
        #expect(ten.p50 == 5 && ten.p90 == 9 && ten.p99 == 10)
        let empty = PercentileSummary([])
        #expect(empty.count == 0 && empty.p50 == nil && empty.max == nil)
        #expect(PercentileSummary.percentile(0, ofSorted: [1, 2]) == 1)
    }
}

@Suite("agora bench load: server-sent events")
struct LoadStreamTests {
    @Test("data lines, [DONE] and everything else")
    func lines() {
        #expect(SSELine("data: {\"a\":1}") == .data("{\"a\":1}"))
        #expect(SSELine("data:{\"a\":1}") == .data("{\"a\":1}"))
        #expect(SSELine("data: [DONE]") == .done)
        #expect(SSELine("data:[DONE]") == .done)
        #expect(SSELine("") == .other)
        #expect(SSELine(": keep-alive") == .other)
        #expect(SSELine("event: message") == .other)
    }

    @Test("lines are split the same however the bytes are chunked")
    func splitter() throws {
        let text = "data: one\r\n\r\ndata: two\n\ndata: [DONE]\r\rtail"
        let bytes = Array(text.utf8)
        var whole = SSELineSplitter()
        let expected = try whole.append(bytes)
        #expect(expected == ["data: one", "", "data: two", "", "data: [DONE]", ""])
        #expect(whole.finish() == "tail")
        for size in 1...7 {
            var s = SSELineSplitter()
            var got: [String] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                got += try s.append(bytes[start..<min(start + size, bytes.count)])
            }
            #expect(got == expected, "chunk size \(size)")
            #expect(s.finish() == "tail")
        }
        var small = SSELineSplitter(maxLineBytes: 4)
        #expect(throws: SSELineSplitter.LineTooLong.self) { try small.append(Array("data: long".utf8)) }
    }

    /// What an Agora node streams (its encoder sorts keys).
    static let agoraStream = [
        #"data: {"choices":[{"delta":{"content":"The","role":"assistant"},"index":0}],"created":1,"id":"chatcmpl-1","model":"default","object":"chat.completion.chunk"}"#,
        "",
        #"data: {"choices":[{"delta":{"content":" sea","role":"assistant"},"index":0}],"created":1,"id":"chatcmpl-1","model":"default","object":"chat.completion.chunk"}"#,
        "",
        #"data: {"agora":{"attempts":0,"job_id":"ab12","ledger_entry":"ff","ledger_seq":3,"price":5,"provider":"p1","verification":"attested-pass"},"choices":[{"delta":{},"finish_reason":"length","index":0}],"created":1,"id":"chatcmpl-1","model":"m","object":"chat.completion.chunk","usage":{"completion_tokens":7,"prompt_tokens":9,"total_tokens":16}}"#,
        "",
        "data: [DONE]",
        "",
    ]

    @Test("an Agora stream: first token, usage and the agora object")
    func agoraStream() {
        var acc = ChatStreamAccumulator()
        let steps = Self.agoraStream.map { acc.feed($0) }
        #expect(steps.filter { $0 == .firstContent }.count == 1)
        #expect(steps.first == .firstContent)
        #expect(steps.last(where: { $0 != .more }) == .done)
        #expect(acc.done && acc.error == nil && acc.invalidEvents == 0)
        #expect(acc.contentChunks == 2)
        #expect(acc.completionTokens == 7)
        #expect(acc.agora == AgoraJobSummary(jobID: "ab12", provider: "p1", verification: "attested-pass", attempts: 0))
        #expect(acc.feed(#"data: {"choices":[{"delta":{"content":"late"}}]}"#) == .more)
        #expect(acc.contentChunks == 2)
    }

    @Test("without usage tokens are content chunks; empty deltas are not a first token; errors are kept")
    func otherStreams() {
        var acc = ChatStreamAccumulator()
        #expect(acc.feed(#"data: {"choices":[{"delta":{"role":"assistant","content":""}}]}"#) == .more)
        #expect(acc.feed(#"data: {"choices":[{"delta":{"content":"a"}}]}"#) == .firstContent)
        #expect(acc.feed(#"data: {"choices":[{"delta":{"content":"b"}}]}"#) == .more)
        #expect(acc.feed("data: not json") == .more)
        #expect(acc.feed("data: [DONE]") == .done)
        #expect(acc.completionTokens == 2 && acc.invalidEvents == 1 && acc.agora == nil)

        var failing = ChatStreamAccumulator()
        _ = failing.feed(#"data: {"error":{"message":"provider vanished","type":"server_error"}}"#)
        _ = failing.feed("data: [DONE]")
        #expect(failing.error == "server_error" && failing.done)
    }

    @Test("a non-streamed chat completion is read with its agora object")
    func completionBody() {
        let body = #"{"agora":{"attempts":1,"job_id":"j","ledger_entry":"e","ledger_seq":1,"price":2,"provider":"p2","verification":"proof-verified"},"choices":[{"finish_reason":"stop","index":0,"message":{"content":"Hi","role":"assistant"}}],"created":1,"id":"x","model":"m","object":"chat.completion","usage":{"completion_tokens":4,"prompt_tokens":3,"total_tokens":7}}"#
        let reply = ChatCompletionSummary.decode(Data(body.utf8))
        #expect(reply?.hasMessage == true)
        #expect(reply?.completionTokens == 4)
        #expect(reply?.agora?.provider == "p2" && reply?.agora?.verification == "proof-verified" && reply?.agora?.attempts == 1)
        #expect(ChatCompletionSummary.decode(Data(#"{"error":{"message":"x"}}"#.utf8))?.hasMessage != true)
        #expect(ChatCompletionSummary.decode(Data("<html>".utf8)) == nil)
    }
}
