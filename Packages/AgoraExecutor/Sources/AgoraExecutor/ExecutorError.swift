/// The one error type of `AgoraExecutor`: a code saying what went wrong and a context
/// naming the file, the parameter or the limit involved, so a user can act on it.
public struct ExecutorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The model file does not exist.
        case modelNotFound
        /// The model file exists but cannot be read.
        case modelUnreadable
        /// The file is not a GGUF file (bad magic or version).
        case notGGUF
        /// llama.cpp refused the file (truncated, unsupported architecture, corrupt tensors).
        case modelLoadFailed
        /// llama.cpp could not create an inference context (usually out of memory).
        case contextCreateFailed
        /// A sampling or engine parameter is out of range.
        case invalidParameter
        /// The prompt (plus the requested output) does not fit in the context.
        case contextExceeded
        /// The prompt is empty or the text cannot be tokenized.
        case tokenizeFailed
        /// The model's chat template could not be applied.
        case templateFailed
        /// The job queue is full; retry later or raise the queue capacity.
        case queueFull
        /// The job was cancelled by its caller.
        case cancelled
        /// `llama_decode` failed.
        case decodeFailed
        /// The engine has been shut down.
        case engineClosed
        /// A saved result or verification request is malformed or names another model.
        case invalidResult
        /// The model would not fit the node's memory budget.
        case memoryBudgetExceeded
    }

    /// What kind of failure this is.
    public let code: Code
    /// Human-readable context: which file, which parameter, which limit.
    public let context: String

    /// Creates an error.
    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
