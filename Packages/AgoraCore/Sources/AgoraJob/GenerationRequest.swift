/// The job description: one type from the HTTP API and the CLI through the market (sealed
/// to the provider and the validators, committed to in the ledger) to the executor. Its
/// canonical bytes (`wireBytes`, Protocol.md §7.4a) are what the prompt commitment covers.
public struct GenerationRequest: Sendable, Equatable, Hashable, Codable {
    /// The prompt.
    public var prompt: Prompt
    /// The sampling parameters (with max tokens, stop sequences, grammar and logprobs).
    public var parameters: SamplingParameters

    /// Creates a request.
    public init(prompt: Prompt, parameters: SamplingParameters = .greedy()) {
        self.prompt = prompt
        self.parameters = parameters
    }

    /// A one-user-message chat request.
    public static func chat(_ userText: String, parameters: SamplingParameters = .greedy()) -> GenerationRequest {
        GenerationRequest(prompt: .chat([ChatMessage(role: "user", content: userText)]), parameters: parameters)
    }

    /// Throws the first rule of `JobLimits` the request breaks.
    public func validate() throws(JobInputError) {
        try prompt.validate()
        try parameters.validate()
    }
}
