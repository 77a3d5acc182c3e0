import AgoraWire

/// One output token's log probability and its most likely alternatives (Protocol.md §7.4a
/// step 5): what a job that asks for logprobs returns beside each token, and what a validator
/// recomputes.
public struct TokenLogprob: Sendable, Equatable, Hashable, Codable, WireCodable {
    /// One token and its log probability.
    public struct Alternative: Sendable, Equatable, Hashable, Codable {
        /// The token id.
        public var token: Int32
        /// Its log probability (natural log).
        public var logprob: Float
        /// The token's text as the model's vocabulary spells it (UTF-8 bytes, possibly part of
        /// a character).
        public var bytes: [UInt8]

        /// Creates an alternative.
        public init(token: Int32, logprob: Float, bytes: [UInt8]) {
            self.token = token
            self.logprob = logprob
            self.bytes = bytes
        }
    }

    /// Longest token text carried, in bytes.
    public static let maxTokenBytes = 256

    /// The chosen token's log probability.
    public var logprob: Float
    /// The chosen token's text (UTF-8 bytes, possibly part of a character).
    public var bytes: [UInt8]
    /// The most likely tokens at this position, most likely first (ties: lower id).
    public var top: [Alternative]

    /// Creates a token's logprobs.
    public init(logprob: Float, bytes: [UInt8], top: [Alternative]) {
        self.logprob = logprob
        self.bytes = bytes
        self.top = top
    }

    public func encode(to w: inout WireWriter) {
        w.uint32(logprob.bitPattern); w.bytes(bytes)
        w.array(top) { w, a in w.varint(UInt64(UInt32(bitPattern: a.token))); w.uint32(a.logprob.bitPattern); w.bytes(a.bytes) }
    }

    public init(from r: inout WireReader) throws(WireError) {
        logprob = Float(bitPattern: try r.uint32("logprob.value"))
        bytes = try r.bytes("logprob.bytes", max: Self.maxTokenBytes)
        top = try r.array("logprob.top", max: JobLimits.maxTopLogprobs) { (r: inout WireReader) throws(WireError) in
            let token = Int32(try r.varint("logprob.top.token", max: UInt64(Int32.max)))
            let value = Float(bitPattern: try r.uint32("logprob.top.value"))
            return Alternative(token: token, logprob: value, bytes: try r.bytes("logprob.top.bytes", max: Self.maxTokenBytes))
        }
    }
}
