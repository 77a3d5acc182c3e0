import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraLedger
import AgoraMarket
import AgoraNode
import Foundation

/// The HTTP API's view of a running node: jobs go through the node's market.
public struct NodeInferenceService: InferenceService {
    let node: NodeRuntime

    /// The API's view of `node`.
    public init(node: NodeRuntime) { self.node = node }

    public func models() async -> [ServedModel] {
        let catalog = await node.modelCatalog()
        return catalog.models.map { m in
            ServedModel(name: m.name, modelID: m.id.hex,
                        aliases: m.aliases + catalog.aliases.filter { $0.value.lowercased() == m.name.lowercased() }.keys.sorted(),
                        contextLength: m.contextRange.upperBound, contextLengthMin: m.contextRange.lowerBound, providers: m.nodes,
                        priceMin: m.priceRange.lowerBound, priceMax: m.priceRange.upperBound,
                        decodeTokensPerSecond: m.bestDecodeTokensPerSecond, servedHere: m.servedHere)
        }
    }

    public var verificationLevel: UInt8 { node.config.verificationLevel }

    public func run(_ job: NodeJob) async throws -> CompletedJob {
        try await run(job, onText: nil)
    }

    private func run(_ job: NodeJob, onText: (@Sendable (String) -> Void)?) async throws -> CompletedJob {
        do {
            return try await node.submit(job, onText: onText)
        } catch let e as NodeError {
            switch e.code {
            case .modelNotFound: throw OpenAIError.notFound(e.context, param: "model", code: "model_not_found")
            case .contextExceeded: throw OpenAIError.invalid(e.context, param: "messages", code: "context_length_exceeded")
            case .overloaded: throw OpenAIError.tooManyRequests(e.context)
            case .deadlinePassed, .cancelled: throw OpenAIError.overloaded(e.context)
            case .tooFewValidators:
                throw OpenAIError(status: 503, type: "overloaded_error", message: e.context, param: "model",
                                  code: "too_few_validators", retryAfter: 30)
            case .job: throw OpenAIError.invalid(e.context)
            case .dataDirectory, .dataDirectoryInUse, .configuration, .portInUse, .model, .modelExists, .memoryBudget:
                throw OpenAIError.server(e.context)
            }
        }
    }

    /// Streams the job: the provider's tokens arrive as it generates them (an unverified
    /// preview), then whatever of the verified text was not streamed yet. Should the verified
    /// text not start with what was streamed (a provider that lied in its preview), the stream
    /// ends with an error instead of a normal finish.
    public func stream(_ job: NodeJob) -> AsyncThrowingStream<InferenceStreamEvent, Error> {
        AsyncThrowingStream { continuation in
            let sent = StreamedText()
            let task = Task {
                do {
                    let outcome = try await run(job, onText: { text in
                        sent.append(text)
                        continuation.yield(.text(text))
                    })
                    let streamed = sent.value
                    guard outcome.text.hasPrefix(streamed) else {
                        throw OpenAIError.overloaded("the verified output differs from the text streamed before it; discard the streamed text (job \(outcome.jobID))")
                    }
                    let rest = String(outcome.text.dropFirst(streamed.count))
                    if !rest.isEmpty { continuation.yield(.text(rest)) }
                    continuation.yield(.done(outcome))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Text streamed so far to one client (appended from the node's market actor, read at the end).
final class StreamedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""

    /// Appends a piece.
    func append(_ piece: String) { lock.withLock { text += piece } }

    /// Everything appended.
    var value: String { lock.withLock { text } }
}
