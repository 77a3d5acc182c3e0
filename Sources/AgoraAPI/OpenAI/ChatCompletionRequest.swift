/// `POST /v1/chat/completions` request body: OpenAI's schema, every field either carried
/// into the signed job (and so checked by validators) or refused with a 400. Unknown fields
/// are rejected so that a client never silently loses an option it believes it set.
public struct ChatCompletionRequest: Decodable, Sendable {
    /// One chat message.
    public struct Message: Decodable, Sendable, Equatable {
        /// `system`, `developer` (read as `system`), `user`, `assistant` or `tool`.
        public let role: String
        /// The text (nil: `content: null`, as beside `tool_calls`).
        public let content: String?
        /// Tool calls an assistant message made.
        public let toolCalls: [ToolCall]
        /// For a `tool` message: the call it answers.
        public let toolCallID: String?

        enum CodingKeys: String, CodingKey {
            case role, content, name, toolCalls = "tool_calls", toolCallID = "tool_call_id", refusal
        }

        public init(role: String, content: String?, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
            self.toolCallID = toolCallID
        }

        public init(from decoder: Decoder) throws {
            try RequestKeys.rejectUnknown(in: decoder, known: ["role", "content", "name", "tool_calls", "tool_call_id", "refusal"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try c.decode(String.self, forKey: .role)
            toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls) ?? []
            toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
            // content: a string, null, or an array of {type: "text", text} parts.
            if try !c.contains(.content) || c.decodeNil(forKey: .content) {
                content = nil
            } else if let s = try? c.decode(String.self, forKey: .content) {
                content = s
            } else {
                let parts = try c.decode([ContentPart].self, forKey: .content)
                if let other = parts.first(where: { $0.type != "text" }) {
                    throw RequestKeys.UnsupportedField(
                        name: JSONResponse.fieldPath(decoder.codingPath + [CodingKeys.content]),
                        message: "the model reads text only: a content part of type \"\(other.type)\" cannot be sent to it")
                }
                content = parts.map { $0.text ?? "" }.joined()
            }
        }
    }

    struct ContentPart: Decodable, Sendable {
        let type: String
        let text: String?
    }

    /// `response_format`.
    public enum ResponseFormat: Decodable, Sendable, Equatable {
        /// Free text (the default).
        case text
        /// Any JSON object.
        case jsonObject
        /// JSON matching a schema.
        case jsonSchema(name: String, schema: JSONValue)

        enum CodingKeys: String, CodingKey { case type, jsonSchema = "json_schema" }
        struct Schema: Decodable { let name: String?; let schema: JSONValue?; let strict: Bool?; let description: String? }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            switch try c.decode(String.self, forKey: .type) {
            case "text": self = .text
            case "json_object": self = .jsonObject
            case "json_schema":
                let s = try c.decode(Schema.self, forKey: .jsonSchema)
                self = .jsonSchema(name: s.name ?? "response", schema: s.schema ?? .object([:]))
            case let other:
                throw RequestKeys.UnsupportedField(name: "response_format.type",
                                                   message: "response_format type \"\(other)\" is not text, json_object or json_schema")
            }
        }
    }

    /// Model name or model id; `nil` or `"default"` picks the network's default model.
    public let model: String?
    /// The conversation.
    public let messages: [Message]
    /// Maximum tokens to generate.
    public let maxTokens: Int?
    /// Sampling temperature; 0 (the default) is greedy.
    public let temperature: Double?
    /// Nucleus sampling.
    public let topP: Double?
    /// Top-k sampling (an extension also accepted by llama.cpp's server).
    public let topK: Int?
    /// Seed for sampling.
    public let seed: UInt64?
    /// Stop sequences.
    public let stop: [String]
    /// Stream the answer as server-sent events.
    public let stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage.
    public let includeUsage: Bool
    /// Number of choices.
    public let n: Int?
    /// OpenAI's `presence_penalty` and `frequency_penalty`.
    public let presencePenalty: Double?
    public let frequencyPenalty: Double?
    /// `logit_bias`: token id (as a string) to bias.
    public let logitBias: [String: Double]
    /// `logprobs` and `top_logprobs`.
    public let logprobs: Bool
    public let topLogprobs: Int?
    /// `response_format`.
    public let responseFormat: ResponseFormat
    /// `tools`, `tool_choice` and `parallel_tool_calls`.
    public let tools: [Tool]
    public let toolChoice: ToolChoice?
    public let parallelToolCalls: Bool?

    static let known: Set<String> = [
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "seed", "stop",
        "stream", "n", "user", "stream_options", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs",
        "top_logprobs", "response_format", "tools", "tool_choice", "parallel_tool_calls",
    ]

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, stream, n, tools, logprobs, streamOptions = "stream_options"
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p", topK = "top_k", presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case logitBias = "logit_bias", topLogprobs = "top_logprobs", responseFormat = "response_format"
        case toolChoice = "tool_choice", parallelToolCalls = "parallel_tool_calls"
    }

    public init(from decoder: Decoder) throws {
        try RequestKeys.rejectUnknown(in: decoder, known: Self.known)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        messages = try c.decode([Message].self, forKey: .messages)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        seed = try RequestKeys.seed(c, .seed)
        stop = try RequestKeys.stopSequences(c, .stop)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        includeUsage = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)?.includeUsage ?? false
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        presencePenalty = try c.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try c.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        logitBias = try c.decodeIfPresent([String: Double].self, forKey: .logitBias) ?? [:]
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs) ?? false
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        responseFormat = try c.decodeIfPresent(ResponseFormat.self, forKey: .responseFormat) ?? .text
        tools = try c.decodeIfPresent([Tool].self, forKey: .tools) ?? []
        toolChoice = try c.decodeIfPresent(ToolChoice.self, forKey: .toolChoice)
        parallelToolCalls = try c.decodeIfPresent(Bool.self, forKey: .parallelToolCalls)
    }
}

/// `POST /v1/completions` request body (legacy text completion).
public struct CompletionRequest: Decodable, Sendable {
    /// Model name or id.
    public let model: String?
    /// The prompt text.
    public let prompt: String
    /// Maximum tokens to generate.
    public let maxTokens: Int?
    /// Sampling temperature; 0 is greedy.
    public let temperature: Double?
    /// Nucleus sampling.
    public let topP: Double?
    /// Top-k sampling.
    public let topK: Int?
    /// Seed for sampling.
    public let seed: UInt64?
    /// Stop sequences.
    public let stop: [String]
    /// Stream as server-sent events.
    public let stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage.
    public let includeUsage: Bool
    /// Number of choices.
    public let n: Int?
    /// Penalties and biases, as for chat.
    public let presencePenalty: Double?
    public let frequencyPenalty: Double?
    public let logitBias: [String: Double]
    /// `logprobs`: how many alternatives per token (0–5), nil for none.
    public let logprobs: Int?
    /// `echo`: the prompt is returned before the completion.
    public let echo: Bool

    static let known: Set<String> = [
        "model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "stream", "n", "user",
        "stream_options", "echo", "logprobs", "presence_penalty", "frequency_penalty", "logit_bias", "best_of", "suffix",
    ]

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, seed, stop, stream, n, echo, logprobs, streamOptions = "stream_options"
        case maxTokens = "max_tokens", topP = "top_p", topK = "top_k"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty", logitBias = "logit_bias"
    }

    public init(from decoder: Decoder) throws {
        try RequestKeys.rejectUnknown(in: decoder, known: Self.known)
        try RequestKeys.refuseUnsupported(in: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        if let s = try? c.decode(String.self, forKey: .prompt) {
            prompt = s
        } else {
            let list = try c.decode([String].self, forKey: .prompt)
            guard list.count == 1 else {
                throw RequestKeys.UnsupportedField(name: "prompt", message: "exactly one prompt per request is supported; send one request per prompt")
            }
            prompt = list[0]
        }
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        seed = try RequestKeys.seed(c, .seed)
        stop = try RequestKeys.stopSequences(c, .stop)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        includeUsage = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)?.includeUsage ?? false
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        presencePenalty = try c.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try c.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        logitBias = try c.decodeIfPresent([String: Double].self, forKey: .logitBias) ?? [:]
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo) ?? false
    }
}

/// `stream_options`.
struct StreamOptions: Decodable {
    let includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// Rejects JSON object keys outside a known set.
enum RequestKeys {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func rejectUnknown(in decoder: Decoder, known: Set<String>) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let bad = c.allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
            throw UnknownField(name: bad)
        }
    }

    /// A request field this server does not know.
    struct UnknownField: Error { let name: String }

    /// A field OpenAI defines that this node cannot honour yet, set to something other than
    /// its no-op value: refused rather than silently ignored.
    struct UnsupportedField: Error {
        let name: String
        let message: String
    }

    /// Fields accepted only at their no-op values, with what to say when one is set.
    static let noOpOnly: [(name: String, isNoOp: @Sendable (KeyedDecodingContainer<Key>, Key) -> Bool, message: String)] = [
        ("best_of", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(Int.self, forKey: k)) == 1 },
         "best_of is not supported (only 1): ask for n choices and pick one yourself"),
        ("suffix", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(String.self, forKey: k)) == "" },
         "suffix (insertion) is not supported: the model only continues text"),
    ]

    /// Refuses any of `noOpOnly` present with a value that would change the answer.
    static func refuseUnsupported(in decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for field in noOpOnly {
            let key = Key(stringValue: field.name)
            guard c.contains(key), !field.isNoOp(c, key) else { continue }
            throw UnsupportedField(name: field.name, message: field.message)
        }
    }

    /// `seed`: any 64-bit integer. Absent, or -1 (llama.cpp's "random"), means a fresh seed;
    /// another negative seed stands for its two's-complement bits.
    static func seed<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> UInt64? {
        if let u = try? c.decodeIfPresent(UInt64.self, forKey: key) { return u }
        guard let i = try c.decodeIfPresent(Int64.self, forKey: key) else { return nil }
        return i == -1 ? nil : UInt64(bitPattern: i)
    }

    /// `stop`: one string or a list of strings (absent: none).
    static func stopSequences<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> [String] {
        if let one = try? c.decodeIfPresent(String.self, forKey: key) { return [one] }
        return try c.decodeIfPresent([String].self, forKey: key) ?? []
    }
}
