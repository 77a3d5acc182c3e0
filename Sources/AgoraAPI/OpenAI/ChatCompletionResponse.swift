import AgoraExecutor
import AgoraNode

/// `chat.completion` response body.
struct ChatCompletionResponse: Encodable {
    struct Choice: Encodable {
        struct Message: Encodable {
            let role = "assistant"
            let content: String?
            let toolCalls: [ToolCall]?
            enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
        }
        let index: Int
        let message: Message
        let logprobs: ChatLogprobs?
        let finishReason: String
        /// The market's account of this choice's job.
        let agora: AgoraJobInfo
        enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason", agora }
    }

    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage
    /// The first choice's job (every choice carries its own).
    let agora: AgoraJobInfo

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, agora }
}

/// Token counts (over every choice's job).
struct Usage: Encodable {
    let promptTokens: Int
    let completionTokens: Int
    let totalTokens: Int
    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    init(_ jobs: [CompletedJob]) {
        promptTokens = jobs.first?.promptTokens ?? 0
        completionTokens = jobs.reduce(0) { $0 + $1.completionTokens }
        totalTokens = promptTokens + completionTokens
    }
}

/// One token's logprobs as OpenAI's chat API shows them.
struct ChatLogprob: Encodable {
    struct Top: Encodable {
        let token: String
        let logprob: Double
        let bytes: [Int]
    }
    let token: String
    let logprob: Double
    let bytes: [Int]
    let topLogprobs: [Top]
    enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
}

/// `choices[i].logprobs` of a chat answer.
struct ChatLogprobs: Encodable {
    let content: [ChatLogprob]

    /// The logprobs of the tokens that make up `job`'s visible text.
    init(_ job: CompletedJob) {
        content = LogprobView.visible(job).map { lp in
            ChatLogprob(token: String(decoding: lp.bytes, as: UTF8.self), logprob: Double(lp.logprob),
                        bytes: lp.bytes.map(Int.init),
                        topLogprobs: lp.top.map { .init(token: String(decoding: $0.bytes, as: UTF8.self), logprob: Double($0.logprob),
                                                         bytes: $0.bytes.map(Int.init)) })
        }
    }
}

/// `choices[i].logprobs` of a legacy completion.
struct CompletionLogprobs: Encodable {
    let tokens: [String]
    let tokenLogprobs: [Double]
    let topLogprobs: [[String: Double]]
    let textOffset: [Int]
    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }

    init(_ job: CompletedJob, offset: Int) {
        let visible = LogprobView.visible(job)
        tokens = visible.map { String(decoding: $0.bytes, as: UTF8.self) }
        tokenLogprobs = visible.map { Double($0.logprob) }
        topLogprobs = visible.map { lp in
            Dictionary(lp.top.map { (String(decoding: $0.bytes, as: UTF8.self), Double($0.logprob)) }, uniquingKeysWith: max)
        }
        var at = offset
        textOffset = visible.map { lp in defer { at += lp.bytes.count }; return at }
    }
}

/// Which of a job's logprobs the answer shows.
enum LogprobView {
    /// The entries of the tokens that spell the answer's text: a final end-of-generation
    /// token, and the tokens of a stop sequence after the text, are left out.
    static func visible(_ job: CompletedJob) -> [TokenLogprob] {
        let textBytes = job.text.utf8.count
        var seen = 0
        var out: [TokenLogprob] = []
        for lp in job.logprobs {
            if seen >= textBytes { break }
            if lp.bytes.isEmpty { continue }
            out.append(lp)
            seen += lp.bytes.count
        }
        return out
    }
}

/// `chat.completion.chunk` (one server-sent event).
struct ChatCompletionChunk: Encodable {
    struct Choice: Encodable {
        struct Delta: Encodable {
            let role: String?
            let content: String?
            let toolCalls: [StreamedToolCall]?
            init(role: String? = nil, content: String? = nil, toolCalls: [StreamedToolCall]? = nil) {
                self.role = role; self.content = content; self.toolCalls = toolCalls
            }
            enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
        }
        let index: Int
        let delta: Delta
        let logprobs: ChatLogprobs?
        let finishReason: String?
        let agora: AgoraJobInfo?
        init(index: Int, delta: Delta, logprobs: ChatLogprobs? = nil, finishReason: String? = nil, agora: AgoraJobInfo? = nil) {
            self.index = index; self.delta = delta; self.logprobs = logprobs; self.finishReason = finishReason; self.agora = agora
        }
        enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason", agora }
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

/// A tool call in a streamed delta (with its position among the message's calls).
struct StreamedToolCall: Encodable {
    let index: Int
    let id: String
    let type = "function"
    let function: ToolCall.Function
}

/// `text_completion` response body (legacy completions).
struct CompletionResponse: Encodable {
    struct Choice: Encodable {
        let index: Int
        let text: String
        let finishReason: String?
        let logprobs: CompletionLogprobs?
        let agora: AgoraJobInfo?
        enum CodingKeys: String, CodingKey { case index, text, finishReason = "finish_reason", logprobs, agora }
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
