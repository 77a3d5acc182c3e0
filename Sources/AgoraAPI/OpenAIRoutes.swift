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
                let job = try JobValidation.job(from: body)
                return body.stream ? await streamChat(job, includeUsage: body.includeUsage) : try await chat(job)
            }
        }
        router.post("/v1/completions") { request, _ in
            await answer(request) { requestBody in
                let body = try await JSONResponse.decode(CompletionRequest.self, from: requestBody)
                let job = try JobValidation.job(from: body)
                return body.stream ? await streamCompletion(job, includeUsage: body.includeUsage) : try await completion(job)
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
            guard let model = await service.models().first(where: { $0.name == id }) else {
                return JSONResponse.error(.notFound("no peer serves the model \"\(id)\"", param: "model", code: "model_not_found"))
            }
            return JSONResponse.make(ModelList.Model(id: model.name, created: Int(Date().timeIntervalSince1970), ownedBy: "agora",
                                                     agora: model))
        }
    }

    private func chat(_ job: InferenceJob) async throws -> Response {
        let o = try await service.run(job)
        return JSONResponse.make(ChatCompletionResponse(
            id: "chatcmpl-" + o.agora.jobID, created: Int(Date().timeIntervalSince1970), model: o.model,
            choices: [.init(index: 0, message: .init(role: "assistant", content: o.text), finishReason: o.finishReason)],
            usage: Usage(o), agora: o.agora))
    }

    private func completion(_ job: InferenceJob) async throws -> Response {
        let o = try await service.run(job)
        return JSONResponse.make(CompletionResponse(
            id: "cmpl-" + o.agora.jobID, created: Int(Date().timeIntervalSince1970), model: o.model,
            choices: [.init(index: 0, text: o.text, finishReason: o.finishReason)], usage: Usage(o), agora: o.agora))
    }

    /// Streams a chat completion; with `includeUsage` (`stream_options.include_usage`), a last
    /// chunk with no choices carries the usage, as OpenAI sends it.
    private func streamChat(_ job: InferenceJob, includeUsage: Bool) async -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let id = "chatcmpl-" + Hex16.random()
        let model = job.model ?? "default"
        return await sse(job) { event in
            switch event {
            case .text(let t):
                return [ChatCompletionChunk(id: id, created: created, model: model,
                                            choices: [.init(index: 0, delta: .init(role: "assistant", content: t), finishReason: nil)],
                                            usage: nil, agora: nil)]
            case .done(let o):
                let finish = ChatCompletionChunk(id: id, created: created, model: o.model,
                                                 choices: [.init(index: 0, delta: .init(role: nil, content: nil), finishReason: o.finishReason)],
                                                 usage: nil, agora: o.agora)
                guard includeUsage else { return [finish] }
                return [finish, ChatCompletionChunk(id: id, created: created, model: o.model, choices: [], usage: Usage(o), agora: nil)]
            }
        }
    }

    /// Streams a text completion; `includeUsage` as for chat.
    private func streamCompletion(_ job: InferenceJob, includeUsage: Bool) async -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let id = "cmpl-" + Hex16.random()
        let model = job.model ?? "default"
        return await sse(job) { event in
            switch event {
            case .text(let t):
                return [CompletionResponse(id: id, created: created, model: model,
                                           choices: [.init(index: 0, text: t, finishReason: nil)], usage: nil, agora: nil)]
            case .done(let o):
                let finish = CompletionResponse(id: id, created: created, model: o.model,
                                                choices: [.init(index: 0, text: "", finishReason: o.finishReason)],
                                                usage: nil, agora: o.agora)
                guard includeUsage else { return [finish] }
                return [finish, CompletionResponse(id: id, created: created, model: o.model, choices: [], usage: Usage(o), agora: nil)]
            }
        }
    }

    /// Server-sent events: one `data: {json}` per event, then `data: [DONE]`. The response
    /// starts with the first event, so an error known before it (overloaded, unknown model,
    /// context exceeded) is an HTTP error with its status; an error after the stream started
    /// is sent as a final `data: {"error": …}` event. A client that goes away cancels the job.
    private func sse(_ job: InferenceJob, _ shape: @escaping @Sendable (InferenceStreamEvent) -> [any Encodable]) async -> Response {
        let events = EventCursor(service.stream(job))
        let first: InferenceStreamEvent?
        do { first = try await events.next() } catch {
            return JSONResponse.error((error as? OpenAIError) ?? .server("\(error)"))
        }
        let body = ResponseBody { writer in
            do {
                var next = first
                while let event = next {
                    for chunk in shape(event) {
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
}

/// Reads one stream of events from two tasks in turn (the handler reads the first, the
/// response body the rest; never at once). Dropping it, or `cancel`, cancels the job.
final class EventCursor: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<InferenceStreamEvent, Error>.AsyncIterator?

    init(_ stream: AsyncThrowingStream<InferenceStreamEvent, Error>) { iterator = stream.makeAsyncIterator() }

    /// The next event, or nil at the end.
    func next() async throws -> InferenceStreamEvent? { try await iterator?.next() }

    /// Stops reading: the stream ends and its job is cancelled.
    func cancel() { iterator = nil }
}

/// Random 16-hex-digit identifiers for stream ids.
enum Hex16 {
    static func random() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
