import AgoraNode
import Foundation
import Hummingbird
import NIOCore

/// The OpenAI-compatible routes: `POST /v1/chat/completions`, `POST /v1/completions`,
/// `GET /v1/models`. Every completion goes through `InferenceService` (the market).
struct OpenAIRoutes<Context: RequestContext>: Sendable {
    let service: any InferenceService

    /// Runs a completion route: a client that closes its connection before the answer
    /// cancels the job everywhere (a streamed answer also notices when a write fails), and
    /// every failure becomes an OpenAI-shaped error.
    private func answer(_ request: Request, _ work: (RequestBody) async throws -> Response) async -> Response {
        var response: Response
        do {
            response = try await request.body.consumeWithCancellationOnInboundClose(work)
        } catch let e as OpenAIError {
            response = JSONResponse.error(e)
        } catch {
            response = JSONResponse.error(.server("\(error)"))
        }
        // Watching for the close consumes the connection's inbound side, so the server
        // closes the connection after this answer: say so, so that clients do not reuse it.
        response.headers[.connection] = "close"
        return response
    }

    func register(on router: Router<Context>) {
        router.post("/v1/chat/completions") { request, _ in
            await answer(request) { requestBody in
                let body = try await JSONResponse.decode(ChatCompletionRequest.self, from: requestBody)
                let plan = try JobValidation.plan(body, verificationLevel: service.verificationLevel)
                return body.stream ? await streamChat(plan, includeUsage: body.includeUsage) : try await chat(plan)
            }
        }
        router.post("/v1/completions") { request, _ in
            await answer(request) { requestBody in
                let body = try await JSONResponse.decode(CompletionRequest.self, from: requestBody)
                let plan = try JobValidation.plan(body, verificationLevel: service.verificationLevel)
                return body.stream ? await streamCompletion(plan, includeUsage: body.includeUsage) : try await completion(plan)
            }
        }
        router.get("/v1/models") { _, _ in
            let now = Int(Date().timeIntervalSince1970)
            let models = await service.models()
            return JSONResponse.make(ModelList(data: models.map {
                ModelList.Model(id: $0.name, created: now, ownedBy: "agora", agora: $0)
            }))
        }
        router.get("/v1/models/{id}") { _, context in
            let raw = context.parameters.get("id") ?? ""
            let id = raw.removingPercentEncoding ?? raw
            let models = await service.models()
            guard let model = models.first(where: { $0.name == id }) ?? models.first(where: { $0.answers(to: id) }) else {
                let names = models.map(\.name).sorted().joined(separator: ", ")
                return JSONResponse.error(.notFound("no peer serves the model \"\(id)\" (models served: \(names.isEmpty ? "none yet" : names))",
                                                    param: "model", code: "model_not_found"))
            }
            return JSONResponse.make(ModelList.Model(id: model.name, created: Int(Date().timeIntervalSince1970), ownedBy: "agora",
                                                     agora: model))
        }
    }

    /// Runs every job of `plan` at once; the first failure fails the request (and cancels the rest).
    private func runAll(_ plan: CompletionPlan) async throws -> [CompletedJob] {
        try await withThrowingTaskGroup(of: (Int, CompletedJob).self) { group in
            for (i, job) in plan.jobs.enumerated() { group.addTask { (i, try await service.run(job)) } }
            var out = [CompletedJob?](repeating: nil, count: plan.jobs.count)
            for try await (i, c) in group { out[i] = c }
            return out.compactMap { $0 }
        }
    }

    /// A chat answer's message and finish reason: tool calls when the plan reads them and the
    /// answer is one, else the text.
    static func message(_ c: CompletedJob, _ plan: CompletionPlan) -> (ChatCompletionResponse.Choice.Message, String) {
        if plan.readsToolCalls, let calls = ToolCalling.calls(in: c.text, tools: plan.tools, jobID: c.jobID) {
            // Without parallel calls, an answer holding several is read as its first.
            return (.init(content: nil, toolCalls: plan.parallelToolCalls ? calls : [calls[0]]), "tool_calls")
        }
        return (.init(content: c.text, toolCalls: nil), c.finishReason)
    }

    private func chat(_ plan: CompletionPlan) async throws -> Response {
        let done = try await runAll(plan)
        let choices = done.enumerated().map { i, c in
            let (message, finish) = Self.message(c, plan)
            return ChatCompletionResponse.Choice(index: i, message: message, logprobs: plan.logprobs ? ChatLogprobs(c) : nil,
                                                 finishReason: finish, agora: AgoraJobInfo(c))
        }
        let first = done[0]
        return JSONResponse.make(ChatCompletionResponse(
            id: "chatcmpl-" + first.jobID, created: Int(Date().timeIntervalSince1970), model: first.model,
            choices: choices, usage: Usage(done), agora: AgoraJobInfo(first)))
    }

    private func completion(_ plan: CompletionPlan) async throws -> Response {
        let done = try await runAll(plan)
        let echo = plan.echo ?? ""
        let choices = done.enumerated().map { i, c in
            CompletionResponse.Choice(index: i, text: echo + c.text, finishReason: c.finishReason,
                                      logprobs: plan.logprobs ? CompletionLogprobs(c, offset: echo.utf8.count) : nil,
                                      agora: AgoraJobInfo(c))
        }
        let first = done[0]
        return JSONResponse.make(CompletionResponse(
            id: "cmpl-" + first.jobID, created: Int(Date().timeIntervalSince1970), model: first.model,
            choices: choices, usage: Usage(done), agora: AgoraJobInfo(first)))
    }

    /// Streams a chat completion: text deltas per choice as the providers generate them; an
    /// answer read for tool calls is held back and sent as one `tool_calls` delta; logprobs
    /// come with each choice's last chunk, once verified. With `includeUsage`
    /// (`stream_options.include_usage`), a last chunk with no choices carries the usage.
    private func streamChat(_ plan: CompletionPlan, includeUsage: Bool) async -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let id = "chatcmpl-" + Hex16.random()
        let model = plan.jobs[0].model ?? "default"
        let finished = FinishedJobs(count: plan.jobs.count)
        return await sse(plan) { i, event in
            switch event {
            case .text(let t):
                if plan.readsToolCalls { return [] }
                return [ChatCompletionChunk(id: id, created: created, model: model,
                                            choices: [.init(index: i, delta: .init(role: "assistant", content: t))],
                                            usage: nil, agora: nil)]
            case .done(let c):
                var chunks: [any Encodable] = []
                let (message, finish) = Self.message(c, plan)
                if plan.readsToolCalls {
                    let delta: ChatCompletionChunk.Choice.Delta = message.toolCalls.map { calls in
                        .init(role: "assistant", toolCalls: calls.enumerated().map { StreamedToolCall(index: $0, id: $1.id, function: $1.function) })
                    } ?? .init(role: "assistant", content: c.text)
                    chunks.append(ChatCompletionChunk(id: id, created: created, model: c.model,
                                                      choices: [.init(index: i, delta: delta)], usage: nil, agora: nil))
                }
                chunks.append(ChatCompletionChunk(
                    id: id, created: created, model: c.model,
                    choices: [.init(index: i, delta: .init(), logprobs: plan.logprobs ? ChatLogprobs(c) : nil, finishReason: finish,
                                    agora: AgoraJobInfo(c))],
                    usage: nil, agora: AgoraJobInfo(c)))
                if includeUsage, let all = finished.add(c, at: i) {
                    chunks.append(ChatCompletionChunk(id: id, created: created, model: c.model, choices: [], usage: Usage(all), agora: nil))
                }
                return chunks
            }
        }
    }

    /// Streams a text completion; `includeUsage` as for chat.
    private func streamCompletion(_ plan: CompletionPlan, includeUsage: Bool) async -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let id = "cmpl-" + Hex16.random()
        let model = plan.jobs[0].model ?? "default"
        let finished = FinishedJobs(count: plan.jobs.count)
        let echoed = EchoedChoices(plan.echo)
        return await sse(plan) { i, event in
            switch event {
            case .text(let t):
                return [CompletionResponse(id: id, created: created, model: model,
                                           choices: [.init(index: i, text: echoed.prefix(i) + t, finishReason: nil, logprobs: nil, agora: nil)],
                                           usage: nil, agora: nil)]
            case .done(let c):
                var chunks: [any Encodable] = [CompletionResponse(
                    id: id, created: created, model: c.model,
                    choices: [.init(index: i, text: echoed.prefix(i), finishReason: c.finishReason,
                                    logprobs: plan.logprobs ? CompletionLogprobs(c, offset: plan.echo?.utf8.count ?? 0) : nil,
                                    agora: AgoraJobInfo(c))],
                    usage: nil, agora: AgoraJobInfo(c))]
                if includeUsage, let all = finished.add(c, at: i) {
                    chunks.append(CompletionResponse(id: id, created: created, model: c.model, choices: [], usage: Usage(all), agora: nil))
                }
                return chunks
            }
        }
    }

    /// Server-sent events: one `data: {json}` per event, then `data: [DONE]`. The response
    /// starts with the first event, so an error known before it (overloaded, unknown model,
    /// context exceeded) is an HTTP error with its status; an error after the stream started
    /// is sent as a final `data: {"error": …}` event. A client that goes away cancels the job.
    private func sse(_ plan: CompletionPlan,
                     _ shape: @escaping @Sendable (Int, InferenceStreamEvent) -> [any Encodable]) async -> Response {
        let events = EventCursor(Self.merged(plan.jobs.map { service.stream($0) }))
        let first: (Int, InferenceStreamEvent)?
        do { first = try await events.next() } catch {
            return JSONResponse.error((error as? OpenAIError) ?? .server("\(error)"))
        }
        let body = ResponseBody { writer in
            do {
                var next = first
                while let (i, event) = next {
                    for chunk in shape(i, event) {
                        let data = try JSONResponse.encoder.encode(chunk)
                        try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                    }
                    next = try await events.next()
                }
            } catch {
                events.cancel()
                let e = (error as? OpenAIError) ?? .server("\(error)")
                let data = (try? JSONResponse.encoder.encode(e)) ?? Data()
                try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// The events of several jobs' streams, each tagged with its choice index, as they come;
    /// the first error ends the whole stream, and ending it cancels every job.
    static func merged(_ streams: [AsyncThrowingStream<InferenceStreamEvent, Error>]) -> AsyncThrowingStream<(Int, InferenceStreamEvent), Error> {
        if streams.count == 1 { return AsyncThrowingStream { c in
            let task = Task {
                do { for try await e in streams[0] { c.yield((0, e)) }; c.finish() } catch { c.finish(throwing: error) }
            }
            c.onTermination = { _ in task.cancel() }
        } }
        return AsyncThrowingStream { c in
            let task = Task {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (i, stream) in streams.enumerated() {
                            group.addTask { for try await e in stream { c.yield((i, e)) } }
                        }
                        try await group.waitForAll()
                    }
                    c.finish()
                } catch {
                    c.finish(throwing: error)
                }
            }
            c.onTermination = { _ in task.cancel() }
        }
    }
}

/// The jobs of a streamed request that have finished, to send the usage once all have.
final class FinishedJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [CompletedJob?]

    init(count: Int) { jobs = Array(repeating: nil, count: count) }

    /// Records job `i`; every job once all have finished, else nil.
    func add(_ job: CompletedJob, at i: Int) -> [CompletedJob]? {
        lock.withLock {
            jobs[i] = job
            let done = jobs.compactMap { $0 }
            return done.count == jobs.count ? done : nil
        }
    }
}

/// `echo` in a streamed completion: each choice's first chunk starts with the prompt.
final class EchoedChoices: @unchecked Sendable {
    private let lock = NSLock()
    private let prompt: String?
    private var sent: Set<Int> = []

    init(_ prompt: String?) { self.prompt = prompt }

    /// The prompt for choice `i`'s first chunk, then "".
    func prefix(_ i: Int) -> String {
        lock.withLock {
            guard let prompt, !sent.contains(i) else { return "" }
            sent.insert(i)
            return prompt
        }
    }
}

/// Reads one stream of events from two tasks in turn (the handler reads the first, the
/// response body the rest; never at once). Dropping it, or `cancel`, cancels the job.
final class EventCursor: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<(Int, InferenceStreamEvent), Error>.AsyncIterator?

    init(_ stream: AsyncThrowingStream<(Int, InferenceStreamEvent), Error>) { iterator = stream.makeAsyncIterator() }

    /// The next event (with its choice index), or nil at the end.
    func next() async throws -> (Int, InferenceStreamEvent)? { try await iterator?.next() }

    /// Stops reading: the stream ends and its job is cancelled.
    func cancel() { iterator = nil }
}

/// Random 16-hex-digit identifiers for stream ids.
enum Hex16 {
    static func random() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
