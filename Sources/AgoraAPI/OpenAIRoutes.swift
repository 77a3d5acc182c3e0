import Foundation
import Hummingbird
import NIOCore

/// The OpenAI-compatible routes: `POST /v1/chat/completions`, `POST /v1/completions`,
/// `GET /v1/models`. Every completion goes through `InferenceService` (the market).
struct OpenAIRoutes<Context: RequestContext>: Sendable {
    let service: any InferenceService

    func register(on router: Router<Context>) {
        router.post("/v1/chat/completions") { request, _ in
            var request = request
            do {
                let body = try await JSONResponse.decode(ChatCompletionRequest.self, from: &request)
                let job = try JobValidation.job(from: body)
                return body.stream ? streamChat(job) : try await chat(job)
            } catch let e as OpenAIError {
                return JSONResponse.error(e)
            } catch {
                return JSONResponse.error(.server("\(error)"))
            }
        }
        router.post("/v1/completions") { request, _ in
            var request = request
            do {
                let body = try await JSONResponse.decode(CompletionRequest.self, from: &request)
                let job = try JobValidation.job(from: body)
                return body.stream ? streamCompletion(job) : try await completion(job)
            } catch let e as OpenAIError {
                return JSONResponse.error(e)
            } catch {
                return JSONResponse.error(.server("\(error)"))
            }
        }
        router.get("/v1/models") { _, _ in
            let now = Int(Date().timeIntervalSince1970)
            let models = await service.models()
            return JSONResponse.make(ModelList(data: models.map {
                ModelList.Model(id: $0.name, created: now, ownedBy: "agora", agora: $0)
            }))
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

    private func streamChat(_ job: InferenceJob) -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let id = "chatcmpl-" + Hex16.random()
        let model = job.model ?? "default"
        return sse(job) { event in
            switch event {
            case .text(let t):
                return ChatCompletionChunk(id: id, created: created, model: model,
                                           choices: [.init(index: 0, delta: .init(role: "assistant", content: t), finishReason: nil)],
                                           usage: nil, agora: nil)
            case .done(let o):
                return ChatCompletionChunk(id: id, created: created, model: o.model,
                                           choices: [.init(index: 0, delta: .init(role: nil, content: nil), finishReason: o.finishReason)],
                                           usage: Usage(o), agora: o.agora)
            }
        }
    }

    private func streamCompletion(_ job: InferenceJob) -> Response {
        let created = Int(Date().timeIntervalSince1970)
        let id = "cmpl-" + Hex16.random()
        let model = job.model ?? "default"
        return sse(job) { event in
            switch event {
            case .text(let t):
                return CompletionResponse(id: id, created: created, model: model,
                                          choices: [.init(index: 0, text: t, finishReason: nil)], usage: nil, agora: nil)
            case .done(let o):
                return CompletionResponse(id: id, created: created, model: o.model,
                                          choices: [.init(index: 0, text: "", finishReason: o.finishReason)],
                                          usage: Usage(o), agora: o.agora)
            }
        }
    }

    /// Server-sent events: one `data: {json}` per event, then `data: [DONE]`. An error after
    /// the stream started is sent as a final `data: {"error": …}` event.
    private func sse(_ job: InferenceJob, _ shape: @escaping @Sendable (InferenceStreamEvent) -> any Encodable) -> Response {
        let events = service.stream(job)
        let body = ResponseBody { writer in
            do {
                for try await event in events {
                    let data = try JSONResponse.encoder.encode(shape(event))
                    try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                }
            } catch {
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

/// Random 16-hex-digit identifiers for stream ids.
enum Hex16 {
    static func random() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
