import AgoraNode

/// What `/api/models` reads and changes on a node: the models it serves, added and removed
/// at runtime. `AgoraNode` implements it; the API only shapes HTTP.
public protocol ModelAdminService: Sendable {
    /// The models this node holds, in load order.
    func localModels() async -> [LocalModelView]
    /// Loads and offers a model. Throws `NodeError` (`model`, `modelExists`, `memoryBudget`, `configuration`).
    func addModel(_ request: AddModelRequest) async throws(NodeError) -> LocalModelView
    /// Retires a model: it takes nothing new, finishes what it holds, then unloads.
    func removeModel(_ name: String) async throws(NodeError) -> LocalModelView
}

/// `POST /api/models` body.
public struct AddModelRequest: Codable, Sendable, Equatable {
    /// The GGUF file, on the node's machine.
    public var path: String
    /// Parallel job slots (default: the node's).
    public var slots: Int?
    /// Context per slot, tokens (default: the node's).
    public var contextPerSlot: Int?
    /// Asking price, credits per 1,000 tokens (default: the node's).
    public var pricePer1kTokens: UInt64?

    enum CodingKeys: String, CodingKey {
        case path, slots, contextPerSlot = "context_per_slot", pricePer1kTokens = "price_per_1k_tokens"
    }

    /// A request.
    public init(path: String, slots: Int? = nil, contextPerSlot: Int? = nil, pricePer1kTokens: UInt64? = nil) {
        self.path = path; self.slots = slots; self.contextPerSlot = contextPerSlot; self.pricePer1kTokens = pricePer1kTokens
    }
}

/// One model a node holds.
public struct LocalModelView: Codable, Sendable, Equatable {
    public var name: String
    public var modelID: String
    public var aliases: [String]
    public var file: String
    public var slots: Int
    public var contextPerSlot: Int
    public var pricePer1kTokens: UInt64
    /// Weights plus KV caches, as estimated before loading, bytes.
    public var memoryEstimateBytes: UInt64
    public var prefillTokensPerSecond: Double
    public var decodeTokensPerSecond: Double
    /// `exact` (checks between nodes of one arithmetic class are bit-exact) or `tolerant`.
    public var checks: String
    /// `serving`, or `removing` while its held work finishes.
    public var state: String

    enum CodingKeys: String, CodingKey {
        case name, modelID = "model_id", aliases, file, slots, contextPerSlot = "context_per_slot",
             pricePer1kTokens = "price_per_1k_tokens", memoryEstimateBytes = "memory_estimate_bytes",
             prefillTokensPerSecond = "prefill_tokens_per_second", decodeTokensPerSecond = "decode_tokens_per_second",
             checks, state
    }

    /// A view of a hosted model.
    public init(_ m: HostedModel) {
        name = m.name
        modelID = m.id.hex
        aliases = m.engine.model.aliases
        file = m.engine.model.path
        slots = m.slots
        contextPerSlot = m.engine.model.contextLength
        pricePer1kTokens = m.pricePer1kTokens
        memoryEstimateBytes = m.memory.total
        prefillTokensPerSecond = m.engine.speed?.prefillTokensPerSecond ?? 0
        decodeTokensPerSecond = m.engine.speed?.decodeTokensPerSecond ?? 0
        checks = m.engine.isBatchInvariant ? "exact" : "tolerant"
        state = m.removing ? "removing" : "serving"
    }
}

/// `GET /api/models` body: this node's models and the network's.
public struct ModelsView: Codable, Sendable {
    public var local: [LocalModelView]
    public var network: [ServedModel]

    /// A view.
    public init(local: [LocalModelView], network: [ServedModel]) { self.local = local; self.network = network }
}

extension OpenAIError {
    /// The HTTP answer to a failed model change, by the error's code.
    static func modelAdmin(_ e: NodeError) -> OpenAIError {
        switch e.code {
        case .modelNotFound: return .notFound(e.context, param: "name", code: "model_not_found")
        case .modelExists: return OpenAIError(status: 409, type: "invalid_request_error", message: e.context, param: "path", code: "model_exists")
        case .memoryBudget:
            return OpenAIError(status: 409, type: "invalid_request_error", message: e.context, param: "path", code: "memory_budget_exceeded")
        case .model: return .invalid(e.context, param: "path", code: "model_unloadable")
        case .configuration: return .invalid(e.context)
        case .dataDirectory, .dataDirectoryInUse, .portInUse, .job, .contextExceeded, .overloaded, .deadlinePassed, .cancelled,
             .tooFewValidators:
            return .server(e.context)
        }
    }
}
