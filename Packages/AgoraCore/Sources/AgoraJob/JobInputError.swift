/// A job description that breaks a rule of `JobLimits` or of Protocol.md §7.4a.
public struct JobInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter at fault, named as the OpenAI API names it (`max_tokens`, `stop`, …).
    public var parameter: String
    /// What is wrong, in words a user understands.
    public var message: String

    /// Creates an error.
    public init(_ parameter: String, _ message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { message }
}
