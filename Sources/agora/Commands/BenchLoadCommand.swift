import AgoraAPI
import ArgumentParser
import Foundation

/// `agora bench load`: sends N chat completions at concurrency C to any OpenAI-compatible
/// endpoint and reports what came back; with `--nodes`, also what the Agora nodes think of
/// each other before and after.
struct BenchLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Send N chat completions at concurrency C and report latency, throughput and verification.",
        discussion: """
            Requests go to <url>/v1/chat/completions. Each request draws its max_tokens from --max-tokens \
            with a generator seeded by --seed, and the same seed picks which requests stream, so a run \
            can be repeated exactly. Exits 1 when any request failed, unless --allow-failures.
            """)

    @Option(help: "Base URL of the endpoint (requests go to <url>/v1/chat/completions).")
    var url = "http://127.0.0.1:8710"

    @Option(help: "Requests to send.")
    var requests = 100

    @Option(help: "Requests in flight at once.")
    var concurrency = 10

    @Option(help: ArgumentHelp("max_tokens of each request: a range A-B drawn uniformly, or a fixed A.", valueName: "A-B"))
    var maxTokens = TokenRange(exactly: 16)

    @Option(help: "Seed of the plan (each request's max_tokens, which requests stream).")
    var seed: UInt64 = 1

    @Option(help: "Share of requests sent with \"stream\": true, 0…1.")
    var streamShare: Double = 0

    @Option(help: ArgumentHelp("Streamed requests the client drops after their first content chunk.", valueName: "n"))
    var disconnect = 0

    @Option(help: "The model to ask for.")
    var model = "default"

    @Option(help: "The user message of every request.")
    var prompt = "Write a short sentence about the sea."

    @Flag(help: ArgumentHelp(
        "Begin each user message with its request's number (\"Request 17: …\"), so that requests share only the chat template's opening, as different users' requests do, and not the whole prompt that a node's prefix cache would keep."))
    var numbered = false

    @Option(help: "Sampling temperature, 0…2.")
    var temperature: Double = 0

    @Option(help: "Seconds each request may take, its whole body included.")
    var timeout: Double = 600

    @Option(help: "API key, sent as \"Authorization: Bearer <key>\".")
    var apiKey: String?

    @Option(help: ArgumentHelp(
        "Agora node API base URLs, comma-separated: their reputations of each other and their checks are read before and after the run.",
        valueName: "url,url,..."))
    var nodes: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Exit 0 even when requests failed.")
    var allowFailures = false

    /// The endpoint's base URL without a trailing slash.
    private var baseURL: String { Self.trimmed(url) }

    /// The node URLs of `--nodes`.
    private var nodeURLs: [String] {
        (nodes ?? "").split(separator: ",").map { Self.trimmed($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard Self.isHTTPURL(baseURL) else { throw ValidationError("--url must be an http:// or https:// URL, got \"\(url)\"") }
        for node in nodeURLs where !Self.isHTTPURL(node) {
            throw ValidationError("--nodes must be http:// or https:// URLs, got \"\(node)\"")
        }
        if nodes != nil, nodeURLs.isEmpty { throw ValidationError("--nodes names no URL") }
        guard (1...1_000_000).contains(requests) else { throw ValidationError("--requests must be between 1 and 1000000") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1024") }
        guard (0...1).contains(streamShare) else { throw ValidationError("--stream-share must be between 0 and 1") }
        let streamed = LoadPlan.streamedCount(requests: requests, streamShare: streamShare)
        guard disconnect >= 0, disconnect <= streamed else {
            throw ValidationError("--disconnect must be between 0 and the number of streamed requests (\(streamed))")
        }
        guard (0...2).contains(temperature) else { throw ValidationError("--temperature must be between 0 and 2") }
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be more than 0 and at most 86400 seconds") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt must not be empty") }
        guard !model.isEmpty else { throw ValidationError("--model must not be empty") }
    }

    func run() async throws {
        let plan: [LoadRequestPlan]
        do {
            plan = try LoadPlan.make(requests: requests, maxTokens: maxTokens, streamShare: streamShare,
                                     disconnects: disconnect, seed: seed)
        } catch {
            throw ValidationError(error.description)
        }
        let endpoint = baseURL + "/v1/chat/completions"
        let settings = LoadSettings(
            endpoint: endpoint, model: model, requests: requests, concurrency: concurrency, maxTokens: maxTokens.description,
            streamShare: streamShare, streamed: plan.filter(\.stream).count, disconnect: disconnect, seed: seed,
            temperature: temperature, timeoutSeconds: timeout, numberedPrompts: numbered)
        let load = LoadRun(endpoint: endpoint, model: model, prompt: prompt, numbered: numbered, temperature: temperature,
                           timeout: timeout,
                           apiKey: apiKey, concurrency: concurrency)
        let nodeURLs = self.nodeURLs
        let client = LoadRun.makeClient(connections: concurrency + nodeURLs.count)

        // Nothing between here and the shutdown throws: failures become outcomes or node errors.
        let before = nodeURLs.isEmpty ? [] : await NodeProbe.snapshots(of: nodeURLs, client: client)
        Stderr.line("sending \(requests) requests to \(endpoint) at concurrency \(concurrency)…")
        let (outcomes, wallSeconds) = await load.run(plan, client: client)
        let after = nodeURLs.isEmpty ? [] : await NodeProbe.snapshots(of: nodeURLs, client: client)
        try await client.shutdown()

        let report = LoadReport(settings: settings, outcomes: outcomes, wallSeconds: wallSeconds,
                                nodes: nodeURLs.isEmpty ? nil : NodesReport(before: before, after: after))
        print(json ? try jsonText(report) : report.text())
        if report.failed > 0, !allowFailures {
            Stderr.line("\(report.failed) of \(report.sent) requests failed")
            throw ExitCode.failure
        }
    }

    private static func trimmed(_ url: String) -> String {
        var url = Substring(url)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }

    private static func isHTTPURL(_ text: String) -> Bool {
        guard let u = URL(string: text), let scheme = u.scheme?.lowercased(), let host = u.host, !host.isEmpty else { return false }
        return scheme == "http" || scheme == "https"
    }
}

extension TokenRange: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
}
