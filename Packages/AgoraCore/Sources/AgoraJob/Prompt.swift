/// One chat message. Roles are `system`, `user`, `assistant` and `tool`; tool definitions,
/// tool calls and tool results reach the model as text the requester rendered into these
/// messages, so the model's own chat template formats them like any other turn.
public struct ChatMessage: Sendable, Equatable, Hashable, Codable {
    /// The roles a message may have.
    public static let roles: Set<String> = ["system", "user", "assistant", "tool"]

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

    /// UTF-8 bytes of the prompt's text (roles and contents of a chat).
    public var byteCount: Int {
        switch self {
        case .chat(let messages): return messages.reduce(0) { $0 + $1.role.utf8.count + $1.content.utf8.count }
        case .text(let text): return text.utf8.count
        case .tokens(let ids): return ids.count * 4
        }
    }

    /// Throws the first rule of `JobLimits` the prompt breaks.
    public func validate() throws(JobInputError) {
        switch self {
        case .chat(let messages):
            guard !messages.isEmpty else { throw JobInputError("messages", "a chat prompt needs at least one message") }
            guard messages.count <= JobLimits.maxMessages else {
                throw JobInputError("messages", "at most \(JobLimits.maxMessages) messages, got \(messages.count)")
            }
            for (i, m) in messages.enumerated() where !ChatMessage.roles.contains(m.role) {
                throw JobInputError("messages[\(i)].role", "role must be one of system, user, assistant, tool; got \(m.role.prefix(32).debugDescription)")
            }
        case .text(let text):
            guard !text.isEmpty else { throw JobInputError("prompt", "the prompt is empty") }
        case .tokens(let ids):
            guard !ids.isEmpty, ids.count <= JobLimits.maxPromptTokens else {
                throw JobInputError("prompt", "a token prompt has 1 to \(JobLimits.maxPromptTokens) tokens, got \(ids.count)")
            }
        }
        guard byteCount <= JobLimits.maxPromptBytes else {
            throw JobInputError("messages", "the prompt has \(byteCount) bytes; the limit is \(JobLimits.maxPromptBytes)")
        }
    }
}
