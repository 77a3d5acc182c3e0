/// Turns OpenAI request bodies into `InferenceJob`s, checking every range.
enum JobValidation {
    /// The largest `max_tokens` a job may ask for.
    static let maxTokensLimit = 4096
    /// The largest prompt (in UTF-8 bytes) accepted before tokenisation.
    static let maxPromptBytes = 64 * 1024
    static let roles: Set<String> = ["system", "developer", "user", "assistant"]

    static func job(from r: ChatCompletionRequest) throws(OpenAIError) -> InferenceJob {
        guard !r.messages.isEmpty else { throw .invalid("messages must not be empty", param: "messages") }
        for (i, m) in r.messages.enumerated() where !roles.contains(m.role) {
            throw .invalid("messages[\(i)].role \"\(m.role)\" is not system, developer, user or assistant", param: "messages[\(i)].role")
        }
        let size = r.messages.reduce(0) { $0 + $1.content.utf8.count }
        guard size <= maxPromptBytes else {
            throw .invalid("the messages hold \(size) bytes; the limit is \(maxPromptBytes)", param: "messages", code: "context_length_exceeded")
        }
        // OpenAI's `developer` messages are what older models call `system` ones.
        let messages = r.messages.map { ($0.role == "developer" ? "system" : $0.role, $0.content) }
        return try common(model: r.model, input: .chat(messages), maxTokens: r.maxTokens,
                          temperature: r.temperature, topP: r.topP, topK: r.topK, seed: r.seed, stop: r.stop, n: r.n)
    }

    static func job(from r: CompletionRequest) throws(OpenAIError) -> InferenceJob {
        guard r.prompt.utf8.count <= maxPromptBytes else {
            throw .invalid("the prompt holds \(r.prompt.utf8.count) bytes; the limit is \(maxPromptBytes)", param: "prompt",
                           code: "context_length_exceeded")
        }
        guard !r.prompt.isEmpty else { throw .invalid("prompt must not be empty", param: "prompt") }
        return try common(model: r.model, input: .text(r.prompt), maxTokens: r.maxTokens, temperature: r.temperature,
                          topP: r.topP, topK: r.topK, seed: r.seed, stop: r.stop, n: r.n)
    }

    private static func common(model: String?, input: InferenceJob.Input, maxTokens: Int?, temperature: Double?,
                               topP: Double?, topK: Int?, seed: UInt64?, stop: [String], n: Int?) throws(OpenAIError) -> InferenceJob {
        let maxTokens = maxTokens ?? 256
        guard (1...maxTokensLimit).contains(maxTokens) else {
            throw .invalid("max_tokens must be between 1 and \(maxTokensLimit), got \(maxTokens)", param: "max_tokens")
        }
        let temperature = temperature ?? 0
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw .invalid("temperature must be between 0 and 2", param: "temperature")
        }
        let topP = topP ?? 1
        guard topP.isFinite, topP > 0, topP <= 1 else { throw .invalid("top_p must be in (0, 1]", param: "top_p") }
        let topK = topK ?? 0
        guard (0...1000).contains(topK) else { throw .invalid("top_k must be between 0 and 1000", param: "top_k") }
        guard n == nil || n == 1 else { throw .invalid("only n = 1 is supported", param: "n") }
        guard stop.count <= 4, stop.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 }) else {
            throw .invalid("at most 4 non-empty stop sequences of up to 64 bytes", param: "stop")
        }
        return InferenceJob(model: model, input: input, maxTokens: maxTokens, temperature: temperature, topP: topP,
                            // Without a seed each request draws its own, as OpenAI's API does; it is
                            // signed into the job, so the check still reproduces the output.
                            topK: topK, seed: seed ?? UInt64.random(in: 0...UInt64.max), stop: stop)
    }
}
