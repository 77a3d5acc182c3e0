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
        await node.servedModels().map { ServedModel(name: $0.name, modelID: $0.id, contextLength: $0.contextLength, providers: $0.providers) }
    }

    public func run(_ job: InferenceJob) async throws -> InferenceOutcome {
        try await run(job, onText: nil)
    }

    private func run(_ job: InferenceJob, onText: (@Sendable (String) -> Void)?) async throws -> InferenceOutcome {
        let nodeJob = NodeJob(model: job.model, prompt: prompt(job.input),
                              parameters: SamplingParameters(temperature: job.temperature, topK: job.topK, topP: job.topP,
                                                             seed: job.seed, maxTokens: job.maxTokens, stop: job.stop),
                              verificationLevel: node.config.verificationLevel)
        do {
            let c = try await node.submit(nodeJob, onText: onText)
            return InferenceOutcome(text: c.text, finishReason: c.finishReason, promptTokens: c.promptTokens,
                                    completionTokens: c.completionTokens, model: c.model,
                                    agora: AgoraJobInfo(jobID: c.jobID, provider: c.provider, price: c.price,
                                                        ledgerEntry: c.ledgerEntry, ledgerSeq: c.ledgerSeq,
                                                        verification: c.verification, attempts: c.attempts,
                                                        timings: c.phases.map(Self.timings)))
        } catch let e as NodeError {
            switch e.code {
            case .modelNotFound: throw OpenAIError.notFound(e.context, param: "model", code: "model_not_found")
            case .contextExceeded: throw OpenAIError.invalid(e.context, param: "messages", code: "context_length_exceeded")
            case .overloaded: throw OpenAIError.tooManyRequests(e.context)
            case .deadlinePassed, .cancelled: throw OpenAIError.overloaded(e.context)
            case .job: throw OpenAIError.invalid(e.context)
            case .dataDirectory, .dataDirectoryInUse, .configuration, .portInUse, .model: throw OpenAIError.server(e.context)
            }
        }
    }

    static func timings(_ p: Market.JobTimeline.Phases) -> AgoraJobTimings {
        AgoraJobTimings(auctionMs: p.auction, queueAndPrefillMs: p.queueAndPrefill, generationMs: p.generation,
                        verificationMs: p.verification, totalMs: p.total)
    }

    /// Streams the job: the provider's tokens arrive as it generates them (an unverified
    /// preview), then whatever of the verified text was not streamed yet. Should the verified
    /// text not start with what was streamed (a provider that lied in its preview), the stream
    /// ends with an error instead of a normal finish.
    public func stream(_ job: InferenceJob) -> AsyncThrowingStream<InferenceStreamEvent, Error> {
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
                        throw OpenAIError.overloaded("the verified output differs from the text streamed before it; discard the streamed text (job \(outcome.agora.jobID))")
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

    private func prompt(_ input: InferenceJob.Input) -> Prompt {
        switch input {
        case .chat(let messages): return .chat(messages.map { ChatMessage(role: $0.role, content: $0.content) })
        case .text(let t): return .text(t)
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
