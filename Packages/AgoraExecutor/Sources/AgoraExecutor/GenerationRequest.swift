/// One chat message (`role` is usually "system", "user" or "assistant").
public struct ChatMessage: Sendable, Equatable, Hashable, Codable {
    /// Who speaks.
    public var role: String
    /// What is said.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// What the model is asked to continue.
public enum Prompt: Sendable, Equatable, Hashable, Codable {
    /// Chat messages, rendered with the model's chat template (plus the assistant turn opener).
    case chat([ChatMessage])
    /// Raw text, tokenized as is (with the model's BOS token if it wants one).
    case text(String)
    /// Token ids, used as is.
    case tokens([Int32])
}

/// One inference job: a prompt and how to sample its continuation.
public struct GenerationRequest: Sendable, Equatable, Hashable, Codable {
    /// The prompt.
    public var prompt: Prompt
    /// The sampling parameters.
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
}
