import AgoraAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Sends the requests of a load plan to one chat-completions endpoint: C workers in a task
/// group take request indices from a shared counter until the plan is used up, so at most C
/// requests are in flight and every request is sent exactly once. Every failure becomes an
/// outcome; nothing here throws.
struct LoadRun: Sendable {
    /// The full URL requests are POSTed to.
    let endpoint: String
    let model: String
    let prompt: String
    /// Whether each user message begins with its request's number.
    let numbered: Bool
    let temperature: Double
    /// Seconds one request may take, its body included.
    let timeout: Double
    let apiKey: String?
    /// Workers (requests in flight at once).
    let concurrency: Int

    /// Largest non-streamed response body read, bytes.
    static let maxBody = 16 << 20

    /// An HTTP client that keeps up to `connections` connections per host (AsyncHTTPClient's
    /// default of 8 would queue requests inside the client and hide the server's behaviour),
    /// does not retry failed connection attempts and never follows redirects. Shut it down
    /// after use.
    static func makeClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                             concurrentHTTP1ConnectionsPerHostSoftLimit: max(connections, 1))
        // A refused connection is a failure to report, not something to retry for 10 s.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `plan` and returns its outcomes (in plan order) and the wall time in seconds.
    func run(_ plan: [LoadRequestPlan], client: HTTPClient) async -> (outcomes: [LoadOutcome], wallSeconds: Double) {
        let counter = RequestCounter(limit: plan.count)
        let progress = LoadProgress(total: plan.count)
        let clock = ContinuousClock()
        let started = clock.now
        let outcomes = await withTaskGroup(of: [LoadOutcome].self) { group in
            for _ in 0..<min(concurrency, plan.count) {
                group.addTask {
                    var mine: [LoadOutcome] = []
                    // Bounded: the counter hands out each of the plan's indices once, then nil.
                    while let i = counter.take() {
                        mine.append(await self.send(plan[i], client: client))
                        progress.completedOne()
                    }
                    return mine
                }
            }
            var all: [LoadOutcome] = []
            for await part in group { all += part }
            return all
        }
        let wall = Self.milliseconds(started.duration(to: clock.now)) / 1000
        return (outcomes.sorted { $0.index < $1.index }, wall)
    }

    /// One request, cut off after `timeout` seconds however far it got.
    func send(_ p: LoadRequestPlan, client: HTTPClient) async -> LoadOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        let timeout = self.timeout
        let outcome: LoadOutcome? = await withTaskGroup(of: LoadOutcome?.self) { group in
            group.addTask { await self.attempt(p, client: client, clock: clock, started: started) }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            // Cancelling the request makes AsyncHTTPClient close its connection.
            group.cancelAll()
            return first
        }
        return outcome ?? LoadOutcome(index: p.index, streamed: p.stream, result: .transportError("timeout"),
                                      latencyMs: Self.milliseconds(started.duration(to: clock.now)))
    }

    private func attempt(_ p: LoadRequestPlan, client: HTTPClient, clock: ContinuousClock,
                         started: ContinuousClock.Instant) async -> LoadOutcome {
        let elapsed = { Self.milliseconds(started.duration(to: clock.now)) }
        func outcome(_ result: LoadOutcome.Result, retryAfter: String? = nil) -> LoadOutcome {
            LoadOutcome(index: p.index, streamed: p.stream, result: result, latencyMs: elapsed(), retryAfter: retryAfter)
        }
        let body: Data
        do {
            body = try requestBody(p)
        } catch {
            return outcome(.transportError("cannot encode the request: \(error)"))
        }
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: p.stream ? "text/event-stream" : "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout * 1e9)))
            guard response.status.code == 200 else {
                let status = Int(response.status.code)
                let retryAfter = response.headers.first(name: "Retry-After")
                // Read the (small) error body so the connection can serve the next request.
                _ = try? await response.body.collect(upTo: 1 << 16)
                return outcome(.httpStatus(status), retryAfter: retryAfter)
            }
            if p.stream { return try await readStream(p, response, elapsed: elapsed) }
            let data = try await response.body.collect(upTo: Self.maxBody)
            guard let reply = ChatCompletionSummary.decode(Data(data.readableBytesView)), reply.hasMessage else {
                return outcome(.invalidResponse("not a chat completion"))
            }
            return LoadOutcome(index: p.index, streamed: false, result: .served, latencyMs: elapsed(),
                               completionTokens: reply.completionTokens ?? 0, agora: reply.agora)
        } catch let e as SSELineSplitter.LineTooLong {
            return outcome(.invalidResponse(e.description))
        } catch is NIOTooManyBytesError {
            return outcome(.invalidResponse("body above \(Self.maxBody) bytes"))
        } catch {
            return outcome(.transportError(Self.kind(of: error)))
        }
    }

    /// Reads a server-sent-event stream to `data: [DONE]` and the end of the body, or, for a
    /// planned disconnect, to the first content chunk.
    private func readStream(_ p: LoadRequestPlan, _ response: HTTPClientResponse,
                            elapsed: () -> Double) async throws -> LoadOutcome {
        var splitter = SSELineSplitter()
        var stream = ChatStreamAccumulator()
        var ttft: Double?
        var finished: Double?
        // Bounded by the body, which the timeout bounds.
        for try await buffer in response.body {
            for line in try splitter.append(buffer.readableBytesView) {
                switch stream.feed(line) {
                case .firstContent:
                    ttft = elapsed()
                    if p.disconnect {
                        // Returning drops the body: AsyncHTTPClient cancels the request and
                        // closes the connection, which the server sees as a client gone away.
                        return LoadOutcome(index: p.index, streamed: true, result: .disconnected, latencyMs: elapsed(),
                                           ttftMs: ttft, completionTokens: stream.completionTokens)
                    }
                case .done:
                    finished = elapsed()
                case .more:
                    break
                }
            }
        }
        if let last = splitter.finish(), stream.feed(last) == .done { finished = elapsed() }
        let result: LoadOutcome.Result
        if let error = stream.error {
            result = .streamError(error)
        } else if finished == nil {
            result = .streamError("ended before [DONE]")
        } else {
            result = .served
        }
        return LoadOutcome(index: p.index, streamed: true, result: result, latencyMs: finished ?? elapsed(), ttftMs: ttft,
                           completionTokens: stream.completionTokens, agora: stream.agora)
    }

    private struct RequestBody: Encodable {
        struct Message: Encodable {
            let role: String
            let content: String
        }

        struct StreamOptions: Encodable {
            let includeUsage: Bool
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        let model: String
        let messages: [Message]
        let maxTokens: Int
        let temperature: Double
        let stream: Bool
        let streamOptions: StreamOptions?

        enum CodingKeys: String, CodingKey {
            case model, messages, maxTokens = "max_tokens", temperature, stream, streamOptions = "stream_options"
        }
    }

    private func requestBody(_ p: LoadRequestPlan) throws -> Data {
        try JSONEncoder().encode(RequestBody(
            model: model, messages: [.init(role: "user", content: numbered ? "Request \(p.index + 1): \(prompt)" : prompt)],
            maxTokens: p.maxTokens,
            temperature: temperature, stream: p.stream, streamOptions: p.stream ? .init(includeUsage: true) : nil))
    }

    /// A short, stable name for a transport failure, to tally failures by kind.
    static func kind(of error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout { return "timeout" }
            return e.shortDescription
        }
        if error is CancellationError { return "cancelled" }
        if let e = error as? IOError { return String(cString: strerror(e.errnoCode)).lowercased() }
        let text = "\(error)"
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}

/// Hands out request indices to the workers of a load run: each of `0..<limit` once, then nil.
final class RequestCounter: Sendable {
    private let next = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The next index to send, or nil when every request has been handed out.
    func take() -> Int? {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return i < limit ? i : nil
    }
}

/// Progress of a load run on standard error, at every tenth of the run, when standard
/// error is a terminal.
final class LoadProgress: Sendable {
    private let done = Atomic<Int>(0)
    private let total: Int
    private let enabled: Bool

    init(total: Int) {
        self.total = total
        enabled = isatty(STDERR_FILENO) != 0 && total >= 10
    }

    /// Counts one finished request.
    func completedOne() {
        let n = done.wrappingAdd(1, ordering: .relaxed).newValue
        guard enabled, n * 10 / total != (n - 1) * 10 / total else { return }
        Stderr.line("  \(n)/\(total) done")
    }
}

/// Reads Agora nodes' APIs for `agora bench load --nodes`.
enum NodeProbe {
    /// A failed read of a node.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Snapshots of every node, read at once, in the order of `urls`.
    static func snapshots(of urls: [String], client: HTTPClient) async -> [NodeSnapshot] {
        await withTaskGroup(of: (Int, NodeSnapshot).self) { group in
            for (i, url) in urls.enumerated() {
                group.addTask { (i, await snapshot(of: url, client: client)) }
            }
            var result = [NodeSnapshot?](repeating: nil, count: urls.count)
            for await (i, s) in group { result[i] = s }
            return result.compactMap { $0 }
        }
    }

    /// `/api/peers` (required), `/api/jobs` and `/metrics` of one node.
    static func snapshot(of url: String, client: HTTPClient) async -> NodeSnapshot {
        do {
            let peers = try await get(url + "/api/peers", client: client)
            let jobs = try? await get(url + "/api/jobs", client: client)
            let metrics = try? await get(url + "/metrics", client: client)
            return NodeSnapshot.parse(url: url, peers: peers, jobs: jobs, metrics: metrics.map { String(decoding: $0, as: UTF8.self) })
        } catch let e as Failure {
            return .unreachable(url: url, error: e.description)
        } catch {
            return .unreachable(url: url, error: LoadRun.kind(of: error))
        }
    }

    private static func get(_ url: String, client: HTTPClient) async throws -> Data {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard response.status.code == 200 else { throw Failure(description: "\(url) answered HTTP \(response.status.code)") }
        return Data(body.readableBytesView)
    }
}
