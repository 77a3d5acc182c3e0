/// An error starting or running a node: what failed and what to do about it.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The data directory cannot be created, read or locked.
        case dataDirectory
        /// Another node already uses this data directory.
        case dataDirectoryInUse
        /// The configuration file or a flag is invalid.
        case configuration
        /// A port is already in use or cannot be bound.
        case portInUse
        /// The model cannot be loaded.
        case model
        /// A job could not be served.
        case job
        /// No peer serves the requested model (or this node does not serve the one named).
        case modelNotFound
        /// The model is already served (or being loaded) here.
        case modelExists
        /// The model would not fit the node's memory budget.
        case memoryBudget
        /// Too few nodes serve the model to run a job and check it at the verification level.
        case tooFewValidators
        /// The prompt plus the tokens asked for exceed every serving node's context.
        case contextExceeded
        /// Too much work is waiting already: retry later.
        case overloaded
        /// The job's deadline passed before a result.
        case deadlinePassed
        /// The job was cancelled (client gone, or shutdown).
        case cancelled
    }

    /// What kind of failure this is.
    public let code: Code
    /// The file, port or value involved, and the fix.
    public let context: String

    /// Creates an error.
    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { context }
}
