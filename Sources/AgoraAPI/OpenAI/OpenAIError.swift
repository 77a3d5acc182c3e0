/// An API error in OpenAI's JSON shape: `{"error": {"message", "type", "param", "code"}}`,
/// with the HTTP status it is sent with.
public struct OpenAIError: Error, Sendable, Encodable {
    /// The body's `error` object.
    public struct Body: Sendable, Encodable {
        /// What went wrong, for a person.
        public let message: String
        /// `invalid_request_error`, `not_found_error`, `server_error`, `overloaded_error`, …
        public let type: String
        /// The request field at fault, if any.
        public let param: String?
        /// A machine-readable code, if any.
        public let code: String?
    }

    /// The HTTP status code.
    public let status: Int
    /// The error object.
    public let error: Body
    /// Seconds after which a retry may succeed (sent as `Retry-After` with 429 and 503).
    public let retryAfter: Int?

    enum CodingKeys: String, CodingKey { case error }

    /// Creates an error.
    public init(status: Int, type: String, message: String, param: String? = nil, code: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.error = Body(message: message, type: type, param: param, code: code)
        self.retryAfter = retryAfter
    }

    /// 400 for a request that is malformed or out of range.
    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, type: "invalid_request_error", message: message, param: param, code: code)
    }

    /// 401 for a request without a valid API key, where the node requires one.
    public static func unauthorized(_ message: String) -> OpenAIError {
        OpenAIError(status: 401, type: "invalid_request_error", message: message, code: "invalid_api_key")
    }

    /// 403 for a valid key that may not do what it asked (an admin route with a user key).
    public static func forbidden(_ message: String) -> OpenAIError {
        OpenAIError(status: 403, type: "permission_error", message: message, code: "admin_key_required")
    }

    /// 404 for an unknown model or route.
    public static func notFound(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 404, type: "not_found_error", message: message, param: param, code: code)
    }

    /// 413 for a body above the size limit.
    public static func tooLarge(_ message: String) -> OpenAIError {
        OpenAIError(status: 413, type: "invalid_request_error", message: message, code: "request_too_large")
    }

    /// 503 when no provider can take the job now (or before its deadline).
    public static func overloaded(_ message: String, retryAfter: Int = 5) -> OpenAIError {
        OpenAIError(status: 503, type: "overloaded_error", message: message, code: "no_capacity", retryAfter: retryAfter)
    }

    /// 429 when this node already holds as much waiting work as it is configured to.
    public static func tooManyRequests(_ message: String, retryAfter: Int = 2) -> OpenAIError {
        OpenAIError(status: 429, type: "rate_limit_error", message: message, code: "rate_limit_exceeded", retryAfter: retryAfter)
    }

    /// 500 for a failure on our side.
    public static func server(_ message: String) -> OpenAIError {
        OpenAIError(status: 500, type: "server_error", message: message)
    }
}
