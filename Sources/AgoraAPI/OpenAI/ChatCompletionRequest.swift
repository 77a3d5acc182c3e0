/// `POST /v1/chat/completions` request body (the subset of OpenAI's schema a CPU node
/// can honour). Unknown fields are rejected so that a client never silently loses an
/// option it believes it set.
public struct ChatCompletionRequest: Decodable, Sendable {
    /// One chat message.
    public struct Message: Decodable, Sendable, Equatable {
        /// `system`, `developer` (read as `system`), `user` or `assistant`.
        public let role: String
        /// The text.
        public let content: String

        enum CodingKeys: String, CodingKey { case role, content, name }

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try c.decode(String.self, forKey: .role)
            // content may be a string or an array of {type: "text", text}
            if let s = try? c.decode(String.self, forKey: .content) {
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
    /// Number of choices; only 1 is supported.
    public let n: Int?

    static let known: Set<String> = [
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "seed", "stop",
        "stream", "n", "user", "stream_options", "presence_penalty", "frequency_penalty", "logit_bias",
    ]

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, stream, n, streamOptions = "stream_options"
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p", topK = "top_k"
    }

    public init(from decoder: Decoder) throws {
        try RequestKeys.rejectUnknown(in: decoder, known: Self.known)
        try RequestKeys.refuseUnsupported(in: decoder)
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
    /// Number of choices; only 1 is supported.
    public let n: Int?

    static let known: Set<String> = [
        "model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "stream", "n", "user",
        "stream_options", "echo", "logprobs", "presence_penalty", "frequency_penalty", "logit_bias", "best_of", "suffix",
    ]

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, seed, stop, stream, n, streamOptions = "stream_options"
        case maxTokens = "max_tokens", topP = "top_p", topK = "top_k"
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
                throw DecodingError.dataCorruptedError(forKey: .prompt, in: c, debugDescription: "exactly one prompt is supported")
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

    /// Fields accepted only at their no-op values (the market does not carry them yet), with
    /// what to say when one is set.
    static let noOpOnly: [(name: String, isNoOp: @Sendable (KeyedDecodingContainer<Key>, Key) -> Bool, message: String)] = [
        ("stop", { c, k in ((try? c.decodeNil(forKey: k)) ?? false)
            || ((try? c.decode([String].self, forKey: k)) ?? ["x"]).isEmpty },
         "stop sequences are not supported yet: the output would not stop where you ask (leave stop out)"),
        ("presence_penalty", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(Double.self, forKey: k)) == 0 },
         "presence_penalty is not supported yet (only 0)"),
        ("frequency_penalty", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(Double.self, forKey: k)) == 0 },
         "frequency_penalty is not supported yet (only 0)"),
        ("logit_bias", { c, k in ((try? c.decodeNil(forKey: k)) ?? false)
            || ((try? c.decode([String: Double].self, forKey: k)) ?? ["x": 1]).isEmpty },
         "logit_bias is not supported yet (leave it out or send {})"),
        ("echo", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(Bool.self, forKey: k)) == false },
         "echo is not supported yet"),
        ("logprobs", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(Bool.self, forKey: k)) == false
            || (try? c.decode(Int.self, forKey: k)) == 0 },
         "logprobs are not supported yet"),
        ("best_of", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(Int.self, forKey: k)) == 1 },
         "best_of is not supported yet (only 1)"),
        ("suffix", { c, k in ((try? c.decodeNil(forKey: k)) ?? false) || (try? c.decode(String.self, forKey: k)) == "" },
         "suffix is not supported yet"),
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
