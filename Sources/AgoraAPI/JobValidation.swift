import AgoraExecutor
import AgoraNode

/// What a completion request becomes: one node job per choice, and how to read the answers.
struct CompletionPlan: Sendable {
    /// One job per choice; choice `i` samples with seed `seed + i` (each signed in its job).
    let jobs: [NodeJob]
    /// The tools an answer may call (chat only; empty otherwise).
    let tools: [Tool]
    /// Whether answers are read for tool calls (tools given, `tool_choice` not `none`).
    let readsToolCalls: Bool
    /// Whether an answer may hold several calls (`parallel_tool_calls`, default true).
    var parallelToolCalls = true
    /// The prompt returned before each answer (`echo`), else nil.
    let echo: String?
    /// Whether answers carry logprobs.
    let logprobs: Bool
}

/// Turns OpenAI request bodies into node jobs, checking every range. Job limits are
/// `JobLimits`'s (one definition, shared with the market and the executor); only what is
/// OpenAI's own is bounded here.
enum JobValidation {
    /// Most choices (`n`) one request may ask for.
    static let maxChoices = 8
    /// OpenAI's range of `temperature`.
    static let maxTemperature = 2.0
    /// OpenAI's bound on the legacy completions' `logprobs`.
    static let maxCompletionLogprobs = 5
    /// `max_tokens` when a request gives none.
    static let defaultMaxTokens = 256

    static func plan(_ r: ChatCompletionRequest, verificationLevel: UInt8) throws(OpenAIError) -> CompletionPlan {
        guard !r.messages.isEmpty else { throw .invalid("messages must not be empty", param: "messages") }
        let choice = r.toolChoice ?? (r.tools.isEmpty ? .none : .auto)
        if r.tools.isEmpty, choice != .none {
            throw .invalid("tool_choice needs tools", param: "tool_choice")
        }
        for (i, t) in r.tools.enumerated() where t.type != "function" {
            throw .invalid("tools[\(i)].type must be \"function\", got \"\(t.type)\"", param: "tools[\(i)].type")
        }
        let messages = try ToolCalling.messages(r.messages, tools: r.tools, choice: choice)
        var grammar = try ToolCalling.grammar(tools: r.tools, choice: choice) ?? ""
        switch r.responseFormat {
        case .text: break
        case .jsonObject, .jsonSchema:
            guard grammar.isEmpty else {
                throw .invalid("response_format and a required tool call cannot both shape the answer", param: "response_format")
            }
            if case .jsonSchema(_, let schema) = r.responseFormat {
                do { grammar = try JSONSchemaGrammar.grammar(for: schema) } catch {
                    throw .invalid("response_format.json_schema cannot be enforced: \(error)", param: "response_format.json_schema.schema")
                }
            } else {
                grammar = JSONSchemaGrammar.anyObject
            }
        }
        if r.topLogprobs != nil, !r.logprobs {
            throw .invalid("top_logprobs needs logprobs: true", param: "top_logprobs")
        }
        let sampling = try parameters(
            maxTokens: r.maxTokens, temperature: r.temperature, topP: r.topP, topK: r.topK, seed: r.seed, stop: r.stop,
            presence: r.presencePenalty, frequency: r.frequencyPenalty, logitBias: r.logitBias,
            topLogprobs: r.logprobs ? (r.topLogprobs ?? 0) : nil, grammar: grammar)
        var plan = CompletionPlan(
            jobs: try jobs(model: r.model, prompt: .chat(messages), sampling, n: r.n, level: verificationLevel),
            tools: r.tools, readsToolCalls: !r.tools.isEmpty && choice != .none, echo: nil, logprobs: r.logprobs)
        plan.parallelToolCalls = r.parallelToolCalls ?? true
        return plan
    }

    static func plan(_ r: CompletionRequest, verificationLevel: UInt8) throws(OpenAIError) -> CompletionPlan {
        guard !r.prompt.isEmpty else { throw .invalid("prompt must not be empty", param: "prompt") }
        if let k = r.logprobs, !(0...maxCompletionLogprobs).contains(k) {
            throw .invalid("logprobs must be between 0 and \(maxCompletionLogprobs), got \(k)", param: "logprobs")
        }
        let sampling = try parameters(
            maxTokens: r.maxTokens, temperature: r.temperature, topP: r.topP, topK: r.topK, seed: r.seed, stop: r.stop,
            presence: r.presencePenalty, frequency: r.frequencyPenalty, logitBias: r.logitBias, topLogprobs: r.logprobs,
            grammar: "")
        return CompletionPlan(jobs: try jobs(model: r.model, prompt: .text(r.prompt), sampling, n: r.n, level: verificationLevel),
                              tools: [], readsToolCalls: false, echo: r.echo ? r.prompt : nil, logprobs: r.logprobs != nil)
    }

    private static func parameters(maxTokens: Int?, temperature: Double?, topP: Double?, topK: Int?, seed: UInt64?,
                                   stop: [String], presence: Double?, frequency: Double?, logitBias: [String: Double],
                                   topLogprobs: Int?, grammar: String) throws(OpenAIError) -> SamplingParameters {
        let temperature = temperature ?? 0
        guard temperature.isFinite, (0...maxTemperature).contains(temperature) else {
            throw .invalid("temperature must be between 0 and \(maxTemperature), got \(temperature)", param: "temperature")
        }
        var bias: [LogitBias] = []
        for (key, value) in logitBias {
            guard let token = Int32(key), token >= 0 else {
                throw .invalid("logit_bias keys are token ids, got \"\(key.prefix(32))\"", param: "logit_bias")
            }
            bias.append(LogitBias(token: token, bias: value))
        }
        bias.sort { $0.token < $1.token }
        // Without a seed each request draws its own, as OpenAI's API does; it is signed into
        // the job, so the check still reproduces the output.
        return SamplingParameters(
            temperature: temperature, topK: topK ?? 0, topP: topP ?? 1, seed: seed ?? UInt64.random(in: 0...UInt64.max),
            maxTokens: maxTokens ?? defaultMaxTokens, stop: stop, presencePenalty: presence ?? 0,
            frequencyPenalty: frequency ?? 0, logitBias: bias, topLogprobs: topLogprobs, grammar: grammar)
    }

    /// The `n` jobs of a request, each checked against `JobLimits` (errors name the parameter).
    private static func jobs(model: String?, prompt: Prompt, _ sampling: SamplingParameters, n: Int?,
                             level: UInt8) throws(OpenAIError) -> [NodeJob] {
        let n = n ?? 1
        guard (1...maxChoices).contains(n) else { throw .invalid("n must be between 1 and \(maxChoices), got \(n)", param: "n") }
        let request = GenerationRequest(prompt: prompt, parameters: sampling)
        do { try request.validate() } catch { throw .invalid(error.message, param: error.parameter) }
        return (0..<n).map { i in
            var r = request
            r.parameters.seed = sampling.seed &+ UInt64(i)
            return NodeJob(model: model, request: r, verificationLevel: level)
        }
    }
}
