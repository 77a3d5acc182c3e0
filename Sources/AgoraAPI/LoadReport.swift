import Foundation

/// How one request of a load run ended.
public struct LoadOutcome: Sendable, Equatable {
    /// The request's result.
    public enum Result: Sendable, Equatable {
        /// HTTP 200 with a complete completion (for a stream: `data: [DONE]` and no error event).
        case served
        /// Dropped by the client after the first content chunk, as planned.
        case disconnected
        /// An HTTP status other than 200.
        case httpStatus(Int)
        /// No HTTP answer: connection refused or closed, timeout, … (a short kind).
        case transportError(String)
        /// HTTP 200, then an error event, or the stream ended before `data: [DONE]`.
        case streamError(String)
        /// HTTP 200 with a body that is not a chat completion.
        case invalidResponse(String)
    }

    /// Position in the run.
    public var index: Int
    /// Whether it was sent with `"stream": true`.
    public var streamed: Bool
    /// How it ended.
    public var result: Result
    /// Milliseconds from sending to the end (or to the failure or disconnect).
    public var latencyMs: Double
    /// Milliseconds from sending to the first content chunk (streamed requests that got one).
    public var ttftMs: Double?
    /// Completion tokens (`usage.completion_tokens`; for a stream without usage, content chunks).
    public var completionTokens: Int
    /// Agora's `agora` object, when the server sent one.
    public var agora: AgoraJobSummary?
    /// The `Retry-After` header of a 429 or 503 answer.
    public var retryAfter: String?

    /// Creates an outcome.
    public init(index: Int, streamed: Bool, result: Result, latencyMs: Double, ttftMs: Double? = nil,
                completionTokens: Int = 0, agora: AgoraJobSummary? = nil, retryAfter: String? = nil) {
        self.index = index
        self.streamed = streamed
        self.result = result
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.completionTokens = completionTokens
        self.agora = agora
        self.retryAfter = retryAfter
    }

    /// Whether the request counts as failed (neither served nor a planned disconnect).
    public var failed: Bool {
        switch result {
        case .served, .disconnected: return false
        default: return true
        }
    }
}

/// The settings a load run was made with, repeated in its report.
public struct LoadSettings: Sendable, Codable, Equatable {
    /// The URL requests were sent to (`<url>/v1/chat/completions`).
    public var endpoint: String
    /// `model` sent.
    public var model: String
    /// Requests in the run.
    public var requests: Int
    /// Requests in flight at once.
    public var concurrency: Int
    /// The `max_tokens` range each request drew from.
    public var maxTokens: String
    /// Share of streamed requests asked for.
    public var streamShare: Double
    /// Requests planned as streamed.
    public var streamed: Int
    /// Streamed requests dropped after their first content chunk.
    public var disconnect: Int
    /// Seed of the plan.
    public var seed: UInt64
    /// `temperature` sent.
    public var temperature: Double
    /// Per-request timeout, seconds.
    public var timeoutSeconds: Double
    /// Whether each user message began with its request's number (requests then share only
    /// the chat template's opening, as different users' requests do).
    public var numberedPrompts: Bool

    enum CodingKeys: String, CodingKey {
        case endpoint, model, requests, concurrency, maxTokens = "max_tokens", streamShare = "stream_share", streamed,
             disconnect, seed, temperature, timeoutSeconds = "timeout_s", numberedPrompts = "numbered_prompts"
    }

    /// Creates settings.
    public init(endpoint: String, model: String, requests: Int, concurrency: Int, maxTokens: String, streamShare: Double,
                streamed: Int, disconnect: Int, seed: UInt64, temperature: Double, timeoutSeconds: Double,
                numberedPrompts: Bool = false) {
        self.numberedPrompts = numberedPrompts
        self.endpoint = endpoint
        self.model = model
        self.requests = requests
        self.concurrency = concurrency
        self.maxTokens = maxTokens
        self.streamShare = streamShare
        self.streamed = streamed
        self.disconnect = disconnect
        self.seed = seed
        self.temperature = temperature
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The report of a load run: counts, latencies, throughput and what the Agora nodes said.
public struct LoadReport: Sendable, Codable {
    /// The run's settings.
    public var settings: LoadSettings
    /// Requests sent.
    public var sent: Int
    /// Requests served completely with HTTP 200.
    public var served: Int
    /// Requests that failed (any way but a planned disconnect).
    public var failed: Int
    /// Streamed requests the client dropped after the first content chunk.
    public var disconnected: Int
    /// Failed requests by HTTP status (`"503": 2`).
    public var failedByStatus: [String: Int]
    /// Failed requests without an HTTP error status, by kind (`"transport: …"`, `"stream error: …"`).
    public var failedByError: [String: Int]
    /// Seconds from the first request to the last answer.
    public var wallSeconds: Double
    /// Latency of served requests, ms.
    public var latencyMs: PercentileSummary
    /// Time to first token of streamed requests that got content (served or disconnected), ms.
    public var ttftMs: PercentileSummary
    /// Completion tokens of served requests.
    public var completionTokens: Int
    /// `completionTokens / wallSeconds`.
    public var tokensPerSecond: Double
    /// `agora.verification` of served requests (`"(none)"`: served without an `agora` object).
    public var verification: [String: Int]
    /// Served requests by `agora.provider`.
    public var providers: [String: Int]
    /// Where served jobs' time went (Agora nodes only).
    public var timings: TimingsSummary?
    /// How many distinct providers served.
    public var distinctProviders: Int
    /// `Retry-After` values seen, by status (`"503": {"5": 3}`; `"(none)"`: the header was absent).
    public var retryAfter: [String: [String: Int]]
    /// Reputations and checks on the Agora nodes given with `--nodes`.
    public var nodes: NodesReport?

    enum CodingKeys: String, CodingKey {
        case settings, sent, served, failed, disconnected, failedByStatus = "failed_by_status",
             failedByError = "failed_by_error", wallSeconds = "wall_s", latencyMs = "latency_ms", ttftMs = "ttft_ms",
             completionTokens = "completion_tokens", tokensPerSecond = "tokens_per_s", verification, providers,
             distinctProviders = "distinct_providers", retryAfter = "retry_after", nodes, timings
    }

    /// Sums up `outcomes` of a run that took `wallSeconds`.
    public init(settings: LoadSettings, outcomes: [LoadOutcome], wallSeconds: Double, nodes: NodesReport? = nil) {
        self.settings = settings
        self.nodes = nodes
        self.wallSeconds = wallSeconds
        sent = outcomes.count
        var served = 0, failed = 0, disconnected = 0, tokens = 0
        var byStatus: [String: Int] = [:], byError: [String: Int] = [:], verification: [String: Int] = [:]
        var providers: [String: Int] = [:], retryAfter: [String: [String: Int]] = [:]
        var latencies: [Double] = [], ttfts: [Double] = [], timings: [AgoraJobTimings] = []
        for o in outcomes {
            if let t = o.ttftMs { ttfts.append(t) }
            switch o.result {
            case .served:
                served += 1
                tokens += o.completionTokens
                latencies.append(o.latencyMs)
                verification[o.agora?.verification ?? "(none)", default: 0] += 1
                if let p = o.agora?.provider { providers[p, default: 0] += 1 }
                if let t = o.agora?.timings { timings.append(t) }
            case .disconnected:
                disconnected += 1
            case .httpStatus(let status):
                failed += 1
                byStatus[String(status), default: 0] += 1
                if status == 429 || status == 503 { retryAfter[String(status), default: [:]][o.retryAfter ?? "(none)", default: 0] += 1 }
            case .transportError(let kind):
                failed += 1
                byError["transport: " + kind, default: 0] += 1
            case .streamError(let kind):
                failed += 1
                byError["stream error: " + kind, default: 0] += 1
            case .invalidResponse(let why):
                failed += 1
                byError["invalid response: " + why, default: 0] += 1
            }
        }
        self.served = served
        self.failed = failed
        self.disconnected = disconnected
        failedByStatus = byStatus
        failedByError = byError
        latencyMs = PercentileSummary(latencies)
        ttftMs = PercentileSummary(ttfts)
        completionTokens = tokens
        tokensPerSecond = wallSeconds > 0 ? Double(tokens) / wallSeconds : 0
        self.verification = verification
        self.providers = providers
        distinctProviders = providers.count
        self.retryAfter = retryAfter
        self.timings = TimingsSummary(timings)
    }

    /// The report as plain text for a terminal.
    public func text() -> String {
        let s = settings
        var lines = [
            "agora bench load: \(s.requests) requests to \(s.endpoint)",
            "  model \(s.model), concurrency \(s.concurrency), max_tokens \(s.maxTokens), temperature \(LoadText.number(s.temperature)), "
                + "streamed \(s.streamed) (share \(LoadText.number(s.streamShare))), disconnect \(s.disconnect), seed \(s.seed)",
            "",
        ]
        var rows: [[String]] = [
            ["requests", "sent \(sent), served \(served), failed \(failed), disconnected \(disconnected)"],
        ]
        if !failedByStatus.isEmpty { rows.append(["failed by status", LoadText.tally(failedByStatus, prefix: "HTTP ")]) }
        if !failedByError.isEmpty { rows.append(["failed by error", LoadText.tally(failedByError)]) }
        rows += [
            ["wall time", String(format: "%.2f s", wallSeconds)],
            ["latency ms", LoadText.percentiles(latencyMs)],
            ["ttft ms", LoadText.percentiles(ttftMs)],
            ["tokens", "\(completionTokens) completion tokens, " + String(format: "%.1f tok/s", tokensPerSecond)],
            ["verification", verification.isEmpty ? "-" : LoadText.tally(verification)],
            ["providers", providers.isEmpty
                ? "-" : "\(distinctProviders) distinct: " + LoadText.tally(providers, key: { String($0.prefix(12)) })],
        ]
        if let t = timings {
            func p50(_ p: PercentileSummary) -> String { p.p50.map { String(format: "%.0f", $0) } ?? "-" }
            rows.append(["time p50 ms", "auction \(p50(t.auction)), queue+prefill \(p50(t.queueAndPrefill)), "
                + "generation \(p50(t.generation)), verification \(p50(t.verification)); total \(p50(t.total))"])
        }
        if !retryAfter.isEmpty {
            let seen = retryAfter.keys.sorted().map { status in
                "\(status): " + LoadText.tally(retryAfter[status] ?? [:], key: { $0 == "(none)" ? "(none)" : "\($0)s" })
            }
            rows.append(["retry-after", seen.joined(separator: "; ")])
        }
        lines.append(LoadText.table(rows))
        if let nodes { lines += ["", nodes.text()] }
        return lines.joined(separator: "\n")
    }
}

/// Text helpers for the load report.
enum LoadText {
    /// `12.5`, `0`, `0.25`: a number without trailing zeros.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%g", value)
    }

    /// `p50 12 p90 30 p99 41 max 44 (n=100)`, or `-` without samples.
    static func percentiles(_ p: PercentileSummary) -> String {
        guard p.count > 0 else { return "-" }
        func f(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "-" }
        return "p50 \(f(p.p50))  p90 \(f(p.p90))  p99 \(f(p.p99))  max \(f(p.max))  (n=\(p.count))"
    }

    /// `a 3, b 1`: most frequent first, then by key.
    static func tally(_ counts: [String: Int], prefix: String = "", key: (String) -> String = { $0 }) -> String {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\(prefix)\(key($0.key)) \($0.value)" }
            .joined(separator: ", ")
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { i in rows.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
