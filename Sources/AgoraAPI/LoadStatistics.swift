import Foundation

// The pure parts of `agora bench load`: option parsing, the seeded request plan, percentiles
// and server-sent-event parsing. No I/O here, so all of it is unit-tested.

/// An inclusive range of token counts, written `A-B` or `A` (`16-64`, `16`).
public struct TokenRange: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The smallest count (at least 1).
    public let lower: Int
    /// The largest count (at least `lower`).
    public let upper: Int

    /// The largest count accepted on either end.
    public static let maximum = 1_000_000

    /// A range from `lower` to `upper`; nil unless `1 <= lower <= upper <= maximum`.
    public init?(lower: Int, upper: Int) {
        guard lower >= 1, lower <= upper, upper <= Self.maximum else { return nil }
        self.lower = lower
        self.upper = upper
    }

    /// The single count `count`, clamped to `1...maximum`.
    public init(exactly count: Int) {
        let n = min(max(count, 1), Self.maximum)
        lower = n
        upper = n
    }

    /// Parses `A-B` or `A` (whitespace around the numbers is allowed); nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let numbers = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let first = numbers.first, let lower = first, let last = numbers.last, let upper = last else { return nil }
        self.init(lower: lower, upper: upper)
    }

    /// `A-B`, or `A` when both ends are equal.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}

/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so that a
/// load run's plan is the same on every machine and Swift version (the standard library's
/// `random(in:using:)` algorithms are not promised to stay the same).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw from `0..<bound` (`bound` > 0) by rejection sampling, which needs fewer
    /// than two draws on average; after 64 rejections (probability below 2^-64) it takes the
    /// plain remainder so the loop is bounded.
    public mutating func draw(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        let threshold = (0 &- bound) % bound  // 2^64 mod bound: values below it are biased
        var value = next()
        var rejections = 0
        while value < threshold, rejections < 64 {
            value = next()
            rejections += 1
        }
        return value % bound
    }

    /// A uniform draw from `range`.
    public mutating func draw(in range: TokenRange) -> Int {
        range.lower + Int(draw(below: UInt64(range.upper - range.lower) + 1))
    }
}

/// One request of a load run, decided before the run starts.
public struct LoadRequestPlan: Sendable, Equatable {
    /// Position in the run (0-based).
    public let index: Int
    /// `max_tokens` to send.
    public let maxTokens: Int
    /// Whether to send `"stream": true`.
    public let stream: Bool
    /// Whether the client drops the request after the first content chunk (streamed only).
    public let disconnect: Bool

    /// Creates a plan entry.
    public init(index: Int, maxTokens: Int, stream: Bool, disconnect: Bool) {
        self.index = index
        self.maxTokens = maxTokens
        self.stream = stream
        self.disconnect = disconnect
    }
}

/// A request plan that cannot be made from the given options.
public struct LoadPlanError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, for a person.
    public let description: String
}

/// Builds the reproducible plan of a load run.
public enum LoadPlan {
    /// How many of `requests` are streamed for a share `streamShare` (0…1), rounded to nearest.
    public static func streamedCount(requests: Int, streamShare: Double) -> Int {
        guard requests > 0, streamShare > 0 else { return 0 }
        return min(requests, Int((Double(requests) * min(streamShare, 1)).rounded()))
    }

    /// The plan: each request draws its `max_tokens` from `maxTokens` in order; a seeded
    /// shuffle picks which ones stream, and the first `disconnects` of those (in shuffle
    /// order) are dropped after their first content chunk. The same options give the same plan.
    public static func make(requests: Int, maxTokens: TokenRange, streamShare: Double, disconnects: Int,
                            seed: UInt64) throws(LoadPlanError) -> [LoadRequestPlan] {
        guard requests >= 1 else { throw LoadPlanError(description: "the number of requests must be at least 1") }
        guard streamShare >= 0, streamShare <= 1 else { throw LoadPlanError(description: "the stream share must be between 0 and 1") }
        let streamed = streamedCount(requests: requests, streamShare: streamShare)
        guard disconnects >= 0, disconnects <= streamed else {
            throw LoadPlanError(description: "cannot disconnect \(disconnects) requests: only \(streamed) of \(requests) are streamed")
        }
        var generator = SeededGenerator(seed: seed)
        let tokens = (0..<requests).map { _ in generator.draw(in: maxTokens) }
        // Fisher–Yates over the indices; the first `streamed` are streamed.
        var order = Array(0..<requests)
        for i in stride(from: requests - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.draw(below: UInt64(i) + 1)))
        }
        var rank = [Int](repeating: Int.max, count: requests)
        for (position, index) in order.prefix(streamed).enumerated() { rank[index] = position }
        return (0..<requests).map { i in
            LoadRequestPlan(index: i, maxTokens: tokens[i], stream: rank[i] < streamed, disconnect: rank[i] < disconnects)
        }
    }
}

/// Percentiles of a sample (nearest-rank), as a load report shows them.
public struct PercentileSummary: Sendable, Equatable, Codable {
    /// Number of samples.
    public let count: Int
    /// Median (nil without samples).
    public let p50: Double?
    /// 90th percentile.
    public let p90: Double?
    /// 99th percentile.
    public let p99: Double?
    /// Largest sample.
    public let max: Double?

    /// Summarizes `samples` (any order).
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        p50 = Self.percentile(50, ofSorted: sorted)
        p90 = Self.percentile(90, ofSorted: sorted)
        p99 = Self.percentile(99, ofSorted: sorted)
        max = sorted.last
    }

    /// The nearest-rank `p`-th percentile (0 < p ≤ 100) of ascending `sorted`: the smallest
    /// sample with at least p% of the samples at or below it. Nil for an empty sample.
    public static func percentile(_ p: Double, ofSorted sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
}

/// Where served jobs' time went (from their `agora.timings`), phase by phase, in milliseconds.
public struct TimingsSummary: Sendable, Equatable, Codable {
    public let auction: PercentileSummary
    public let queueAndPrefill: PercentileSummary
    public let generation: PercentileSummary
    public let verification: PercentileSummary
    public let total: PercentileSummary

    enum CodingKeys: String, CodingKey {
        case auction, queueAndPrefill = "queue_and_prefill", generation, verification, total
    }

    /// Summarizes `timings`; nil when there are none.
    public init?(_ timings: [AgoraJobTimings]) {
        guard !timings.isEmpty else { return nil }
        func summary(_ key: KeyPath<AgoraJobTimings, UInt64>) -> PercentileSummary {
            PercentileSummary(timings.map { Double($0[keyPath: key]) })
        }
        auction = summary(\.auctionMs)
        queueAndPrefill = summary(\.queueAndPrefillMs)
        generation = summary(\.generationMs)
        verification = summary(\.verificationMs)
        total = summary(\.totalMs)
    }
}

/// One line of a server-sent-event stream, as an OpenAI-compatible server sends it.
public enum SSELine: Sendable, Equatable {
    /// `data: <payload>` (the payload without the field name and one optional space).
    case data(String)
    /// `data: [DONE]`, the end of the stream.
    case done
    /// A blank line, a comment (`:`) or another field (`event:`, `id:`, `retry:`).
    case other

    /// Classifies one line (without its line ending).
    public init(_ line: String) {
        guard line.hasPrefix("data:") else { self = .other; return }
        var payload = line.dropFirst(5)
        if payload.first == " " { payload = payload.dropFirst() }
        self = payload == "[DONE]" ? .done : .data(String(payload))
    }
}

/// Splits a byte stream into lines (`\n`, `\r\n` or `\r` endings) however it is chunked.
public struct SSELineSplitter: Sendable {
    /// A line longer than the limit: the stream is not what we expect.
    public struct LineTooLong: Error, CustomStringConvertible {
        /// The limit that was exceeded.
        public let limit: Int
        /// For a person.
        public var description: String { "a server-sent-event line exceeds \(limit) bytes" }
    }

    private var pending: [UInt8] = []
    private var afterCR = false
    /// The longest line accepted, in bytes.
    public let maxLineBytes: Int

    /// A splitter that rejects lines longer than `maxLineBytes`.
    public init(maxLineBytes: Int = 1 << 20) { self.maxLineBytes = maxLineBytes }

    /// Appends bytes and returns the lines they complete.
    public mutating func append(_ bytes: some Sequence<UInt8>) throws(LineTooLong) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
                afterCR = byte == UInt8(ascii: "\r")
            default:
                guard pending.count < maxLineBytes else { throw LineTooLong(limit: maxLineBytes) }
                pending.append(byte)
            }
        }
        return lines
    }

    /// The unterminated last line, if any (call at the end of the stream).
    public mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}

/// The `agora` object of an Agora completion, read leniently so that a node of another
/// version (or any other server) still counts: every field is optional.
public struct AgoraJobSummary: Sendable, Equatable, Decodable {
    /// Job id, hex.
    public var jobID: String?
    /// Provider node id, hex.
    public var provider: String?
    /// `proof-verified`, `attested-pass`, …
    public var verification: String?
    /// Providers tried before this one.
    public var attempts: Int?
    /// Where the job's time went.
    public var timings: AgoraJobTimings?

    enum CodingKeys: String, CodingKey { case jobID = "job_id", provider, verification, attempts, timings }

    /// Creates a summary.
    public init(jobID: String? = nil, provider: String? = nil, verification: String? = nil, attempts: Int? = nil,
                timings: AgoraJobTimings? = nil) {
        self.timings = timings
        self.jobID = jobID
        self.provider = provider
        self.verification = verification
        self.attempts = attempts
    }
}

/// The parts of a `chat.completion` body a load run reads.
public struct ChatCompletionSummary: Sendable, Decodable {
    struct Choice: Decodable {
        struct Message: Decodable { let content: String? }
        let message: Message?
    }

    struct Usage: Decodable {
        let completionTokens: Int?
        enum CodingKeys: String, CodingKey { case completionTokens = "completion_tokens" }
    }

    let choices: [Choice]?
    let usage: Usage?
    /// Agora's account of the job, when the server is an Agora node.
    public let agora: AgoraJobSummary?

    /// `usage.completion_tokens`, if the server sent it.
    public var completionTokens: Int? { usage?.completionTokens }
    /// Whether the body has at least one choice with a message: a real completion.
    public var hasMessage: Bool { choices?.first?.message != nil }

    /// Decodes a response body; nil when it is not a chat completion.
    public static func decode(_ data: Data) -> ChatCompletionSummary? {
        try? JSONDecoder().decode(ChatCompletionSummary.self, from: data)
    }
}

/// Follows one streamed chat completion line by line: content chunks, the final usage and
/// `agora` object, an error event and the end.
public struct ChatStreamAccumulator: Sendable {
    /// What a line meant for the caller.
    public enum Step: Sendable, Equatable {
        /// Nothing the caller must act on.
        case more
        /// The first chunk with non-empty `choices[0].delta.content` (time to first token).
        case firstContent
        /// `data: [DONE]`.
        case done
    }

    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { let content: String? }
            let delta: Delta?
        }
        struct ErrorBody: Decodable {
            let message: String?
            let type: String?
        }
        let choices: [Choice]?
        let usage: ChatCompletionSummary.Usage?
        let agora: AgoraJobSummary?
        let error: ErrorBody?
    }

    /// Chunks that carried content.
    public private(set) var contentChunks = 0
    /// `usage.completion_tokens` of the last chunk that had it.
    public private(set) var usageTokens: Int?
    /// The `agora` object (Agora sends it on the final chunk).
    public private(set) var agora: AgoraJobSummary?
    /// The error event's type (or message), when the server reported one mid-stream.
    public private(set) var error: String?
    /// Whether `data: [DONE]` arrived.
    public private(set) var done = false
    /// `data:` payloads that were not JSON chunks.
    public private(set) var invalidEvents = 0

    /// An empty accumulator.
    public init() {}

    /// Completion tokens: the final usage if the server sent it, else one per content chunk.
    public var completionTokens: Int { usageTokens ?? contentChunks }

    /// Reads one line (without its line ending). Lines after `[DONE]` are ignored.
    public mutating func feed(_ line: String) -> Step {
        guard !done else { return .more }
        switch SSELine(line) {
        case .other:
            return .more
        case .done:
            done = true
            return .done
        case .data(let payload):
            guard let chunk = try? JSONDecoder().decode(Chunk.self, from: Data(payload.utf8)) else {
                invalidEvents += 1
                return .more
            }
            if let e = chunk.error { error = e.type ?? e.message ?? "error" }
            if let tokens = chunk.usage?.completionTokens { usageTokens = tokens }
            if let a = chunk.agora { agora = a }
            guard let content = chunk.choices?.first?.delta?.content, !content.isEmpty else { return .more }
            contentChunks += 1
            return contentChunks == 1 ? .firstContent : .more
        }
    }
}
