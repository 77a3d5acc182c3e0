import AgoraAPI
import AgoraCrypto
import AgoraExecutor
import AgoraGossip
import AgoraLedger
import AgoraMarket
import AgoraNode
import Foundation

/// The HTTP API's view of a running node: jobs go through the node's market.
struct NodeInferenceService: InferenceService {
    let node: NodeRuntime

    func models() async -> [ServedModel] {
        await node.servedModels().map { ServedModel(name: $0.name, modelID: $0.id, contextLength: $0.contextLength, providers: $0.providers) }
    }

    func run(_ job: InferenceJob) async throws -> InferenceOutcome {
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
    func stream(_ job: InferenceJob) -> AsyncThrowingStream<InferenceStreamEvent, Error> {
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

/// The node API's view of a running node.
struct NodeStatus: NodeStatusService {
    let node: NodeRuntime

    func health() async -> HealthView {
        let peers = await node.peerViews()
        return HealthView(status: "ok", nodeID: node.nodeID.hex, address: node.address,
                          uptimeSeconds: Date().timeIntervalSince(node.startedAt),
                          peersAlive: peers.filter { $0.state == "alive" }.count,
                          models: node.modelNames, ledgerSize: await node.ledgerSize(), credits: await node.balance())
    }

    func peers() async -> [PeerView] {
        await node.peerViews().map { p in
            PeerView(nodeID: p.nodeID, address: p.address, state: p.state, incarnation: p.incarnation,
                     models: p.models.map { .init(name: $0.name, modelID: $0.id, contextLength: $0.contextLength) },
                     prefillTokensPerSecond: p.prefill, decodeTokensPerSecond: p.decode, pricePer1kTokens: p.price,
                     queueDepth: p.queueDepth, arithmeticClass: p.arithmeticClass, reputation: p.reputation, isSelf: p.isSelf)
        }
    }

    func jobs() async -> [JobView] {
        await node.jobRecords().map {
            JobView(jobID: $0.jobID, role: $0.role, state: $0.state, requester: $0.requester, provider: $0.provider,
                    price: $0.price, latencyMs: $0.latencyMs, verification: $0.verification, attempts: $0.attempts,
                    createdUnixMs: $0.createdUnixMs)
        }
    }

    func ledger(limit: Int) async -> LedgerView {
        let size = await node.ledgerSize()
        let from = size > UInt64(limit) ? size - UInt64(limit) : 0
        let entries = (try? await ledgerEntries(from: from, limit: limit)) ?? []
        let cp = await node.latestCheckpoint()
        return LedgerView(ledgerID: node.nodeID.hex, size: cp?.checkpoint.size ?? 0, rootHash: cp?.checkpoint.root.hex ?? "",
                          checkpoint: cp?.text ?? "", entries: entries.reversed())
    }

    func ledgerEntries(from: UInt64, limit: Int) async throws -> [LedgerEntryView] {
        try node.ledgerEntries(from: from, limit: limit).map {
            LedgerEntryView(seq: $0.seq, kind: "\($0.kind)", timeUnixMs: $0.time, hash: $0.hash.hex,
                            summary: "\($0.body.count)-byte \($0.kind) body", bytes: Hex.encode($0.encoded))
        }
    }

    func inclusionProof(seq: UInt64) async throws -> InclusionProofView {
        guard let cp = await node.latestCheckpoint() else { throw NodeError(.job, "the ledger has no checkpoint yet") }
        guard seq < cp.checkpoint.size else { throw NodeError(.job, "entry \(seq) is not covered by the latest checkpoint (size \(cp.checkpoint.size))") }
        let entry = try node.ledgerEntries(from: seq, limit: 1)
        guard let e = entry.first else { throw NodeError(.job, "no entry \(seq)") }
        let proof = try node.inclusionProof(seq: seq, treeSize: cp.checkpoint.size)
        return InclusionProofView(seq: seq, treeSize: cp.checkpoint.size, leafHash: e.leafHash.hex, rootHash: cp.checkpoint.root.hex,
                                  path: proof.hashes.map(\.hex), checkpoint: cp.text)
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
