/// `chat.completion` response body.
struct ChatCompletionResponse: Encodable {
    struct Choice: Encodable {
        struct Message: Encodable { let role: String; let content: String }
        let index: Int
        let message: Message
        let finishReason: String
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
    }

    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage
    let agora: AgoraJobInfo

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, agora }
}

/// Token counts.
struct Usage: Encodable {
    let promptTokens: Int
    let completionTokens: Int
    let totalTokens: Int
    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    init(_ o: InferenceOutcome) {
        promptTokens = o.promptTokens
        completionTokens = o.completionTokens
        totalTokens = o.promptTokens + o.completionTokens
    }
}

/// `chat.completion.chunk` (one server-sent event).
struct ChatCompletionChunk: Encodable {
    struct Choice: Encodable {
        struct Delta: Encodable { let role: String?; let content: String? }
        let index: Int
        let delta: Delta
        let finishReason: String?
        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }
    }

    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage?
    let agora: AgoraJobInfo?

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, agora }
}

/// `text_completion` response body (legacy completions).
struct CompletionResponse: Encodable {
    struct Choice: Encodable {
        let index: Int
        let text: String
        let finishReason: String?
        let logprobs: String? = nil
        enum CodingKeys: String, CodingKey { case index, text, finishReason = "finish_reason", logprobs }
    }

    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage?
    let agora: AgoraJobInfo?

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, agora }
}

/// `GET /v1/models` body.
struct ModelList: Encodable {
    struct Model: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let ownedBy: String
        let agora: ServedModel
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by", agora }
    }

    let object = "list"
    let data: [Model]
    enum CodingKeys: String, CodingKey { case object, data }
}
