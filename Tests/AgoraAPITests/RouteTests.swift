import AgoraAPI
import AgoraNode
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// The HTTP routes in process (Hummingbird's testing module, a live server on loopback):
/// bad input, unknown routes and missing keys are answered in OpenAI's shape before anything
/// reaches the market; the market's own refusals keep their status and `Retry-After`.
@Suite("HTTP routes in process")
struct RouteTests {
    /// An inference service that records the jobs it is given and refuses each as
    /// overloaded (the market's part is tested by the process tests).
    final class RefusingService: InferenceService {
        let jobs = Mutex(0)
        func models() async -> [ServedModel] {
            [ServedModel(name: "tiny-model.Q4_0", modelID: String(repeating: "ab", count: 32), contextLength: 2048, providers: 1)]
        }
        var verificationLevel: UInt8 { 1 }
        func run(_ job: NodeJob) async throws -> CompletedJob {
            jobs.withLock { $0 += 1 }
            throw OpenAIError.overloaded("every provider is busy", retryAfter: 7)
        }
        func stream(_ job: NodeJob) -> AsyncThrowingStream<InferenceStreamEvent, Error> {
            jobs.withLock { $0 += 1 }
            return AsyncThrowingStream { $0.finish(throwing: OpenAIError.overloaded("every provider is busy", retryAfter: 7)) }
        }
    }

    /// No node behind the API: node routes are not under test here.
    struct NoStatus: NodeStatusService {
        func health() async -> HealthView {
            HealthView(status: "ok", nodeID: "", address: "", uptimeSeconds: 0, peersAlive: 0, models: [], ledgerSize: 0, credits: 0)
        }
        func peers() async -> [PeerView] { [] }
        func jobs() async -> [JobView] { [] }
        func ledger(limit: Int) async -> LedgerView { LedgerView(ledgerID: "", size: 0, rootHash: "", checkpoint: "", entries: []) }
        func ledgerEntries(from: UInt64, limit: Int) async throws -> [LedgerEntryView] { [] }
        func inclusionProof(seq: UInt64) async throws -> InclusionProofView { throw OpenAIError.notFound("no entries") }
    }

    struct Answer {
        let status: Int
        let headers: HTTPFields
        let json: [String: Any]
        var code: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var message: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    /// One request to a fresh server (completion answers close their connection).
    static func send(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, key: String? = nil,
                     service: RefusingService = RefusingService(), keyring: APIKeyring? = nil, host: String = "127.0.0.1") async throws -> Answer {
        let server = APIServer(host: host, port: 0, inference: service, status: NoStatus(), metrics: nil, keyring: keyring,
                               logger: Logger(label: "test"))
        return try await server.application().test(.live) { client in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let key { headers[.authorization] = "Bearer \(key)" }
            return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
                let json = (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any] ?? [:]
                return Answer(status: Int(r.status.code), headers: r.headers, json: json)
            }
        }
    }

    @Test("bad input is refused in OpenAI's shape before it reaches the market")
    func badInput() async throws {
        let service = RefusingService()
        let cases: [(String, Int, String?)] = [
            (#"{"messages": [{"role": "user", "content": "hi"}], "frobnicate": 1}"#, 400, "unknown_field"),
            (#"{"messages": [{"role": "user", "content": "hi"}], "stop": ["1", "2", "3", "4", "5", "6", "7", "8", "9"]}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"twelve": 5}}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"12": 500}}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "n": 99}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 40000}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "top_logprobs": 3}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 30}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "xml"}}"#, 400, "unsupported_parameter"),
            (#"{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "a+"}}}}"#, 400, nil),
            (#"{"messages": [{"role": "tool", "content": "42"}]}"#, 400, nil),
            (#"{"messages": [{"role": "assistant", "content": null}]}"#, 400, nil),
            (#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#, 400, "unsupported_parameter"),
            (#"{"messages": [{"role": "user", "content": 5}]}"#, 400, nil),
            (#"{"messages": "#, 400, nil),
        ]
        for (body, status, code) in cases {
            let a = try await Self.send(.post, "/v1/chat/completions", body: body, service: service)
            #expect(a.status == status && (code == nil || a.code == code) && !a.message.isEmpty, "\(body): \(a.status) \(a.json)")
        }
        let typed = try await Self.send(.post, "/v1/chat/completions", body: #"{"messages": [{"role": "user", "content": 5}]}"#)
        #expect(typed.message.contains("messages[0].content"), "\(typed.message)")
        #expect(service.jobs.withLock { $0 } == 0)
    }

    @Test("the market's refusal keeps its status and Retry-After, streamed or not")
    func marketRefusal() async throws {
        for stream in [false, true] {
            let service = RefusingService()
            let a = try await Self.send(.post, "/v1/chat/completions",
                                        body: #"{"messages": [{"role": "user", "content": "hi"}], "stream": \#(stream)}"#, service: service)
            #expect(a.status == 503 && a.headers[.retryAfter] == "7" && a.code == "no_capacity", "stream \(stream): \(a.status) \(a.json)")
            #expect(a.headers[.connection] == "close")
            #expect(service.jobs.withLock { $0 } == 1)
        }
    }

    @Test("unknown routes, and one model by its id")
    func routes() async throws {
        let unknown = try await Self.send(.get, "/v1/nothing")
        #expect(unknown.status == 404 && unknown.code == "unknown_route")
        let model = try await Self.send(.get, "/v1/models/tiny-model.Q4_0")
        #expect(model.status == 200 && model.json["id"] as? String == "tiny-model.Q4_0")
        let missing = try await Self.send(.get, "/v1/models/other")
        #expect(missing.status == 404 && missing.code == "model_not_found")
    }

    @Test("API keys: required beyond loopback or once any exists; 401 without a valid one")
    func keys() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/api-keys.json"
        let keyring = APIKeyring(path: path)

        // Loopback and no key: open, as a local node has always been.
        #expect(try await Self.send(.get, "/v1/models", keyring: keyring).status == 200)
        // Beyond loopback with no key: nothing is served.
        let wide = try await Self.send(.get, "/v1/models", keyring: keyring, host: "0.0.0.0")
        #expect(wide.status == 401 && wide.code == "invalid_api_key")

        var file = APIKeyFile()
        let made = file.create(name: "test")
        try file.save(path)
        #expect(try await Self.send(.get, "/v1/models", keyring: keyring).status == 401)
        #expect(try await Self.send(.get, "/v1/models", key: "agora-wrong", keyring: keyring).status == 401)
        #expect(try await Self.send(.get, "/v1/models", key: made.secret, keyring: keyring).status == 200)
        #expect(try await Self.send(.get, "/api/health", key: made.secret, keyring: keyring, host: "0.0.0.0").status == 200)

        // Changing what the node serves needs an admin key: a user key gets 403 in OpenAI's
        // shape; an admin key passes the check (this server has no model admin: 404).
        let admin = file.create(name: "operator", admin: true)
        try file.save(path)
        let add = #"{"path": "/etc/passwd"}"#
        let refused = try await Self.send(.post, "/api/models", body: add, key: made.secret, keyring: keyring)
        #expect(refused.status == 403 && refused.code == "admin_key_required", "\(refused.status) \(refused.json)")
        #expect(try await Self.send(.delete, "/api/models/smollm2", key: made.secret, keyring: keyring).status == 403)
        #expect(try await Self.send(.post, "/api/models", body: add, key: admin.secret, keyring: keyring).status == 404)
        #expect(try await Self.send(.get, "/api/models", key: made.secret, keyring: keyring).status != 403)
        let reloaded = try APIKeyFile.load(path)
        #expect(reloaded.keys.map(\.admin) == [false, true])

        let revoked = file.revoke(id: made.key.id)
        #expect(revoked)
        try file.save(path)
        #expect(try await Self.send(.get, "/v1/models", key: made.secret, keyring: keyring, host: "0.0.0.0").status == 401)
    }
}
