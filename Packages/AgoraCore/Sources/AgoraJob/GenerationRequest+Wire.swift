import AgoraWire

/// The canonical encoding of a job description (Protocol.md §7.4a). Real-valued parameters
/// travel in fixed point (temperature, penalties and biases in thousandths, top-p in
/// millionths), so an encoded request decodes to the values every party runs with.
extension GenerationRequest: WireCodable {
    /// Encoding version of the job description.
    public static let wireVersion: UInt8 = 1

    private enum PromptKind: UInt8 { case chat = 1, text = 2, tokens = 3 }

    public func encode(to w: inout WireWriter) {
        w.uint8(Self.wireVersion)
        switch prompt {
        case .chat(let messages):
            w.uint8(PromptKind.chat.rawValue)
            w.array(messages) { w, m in w.string(m.role); w.string(m.content) }
        case .text(let text):
            w.uint8(PromptKind.text.rawValue); w.string(text)
        case .tokens(let ids):
            w.uint8(PromptKind.tokens.rawValue); w.array(ids) { $0.varint(UInt64(UInt32(bitPattern: $1))) }
        }
        let p = parameters
        w.varint(Fixed.milli(p.temperature)); w.varint(UInt64(max(0, p.topK))); w.varint(Fixed.micro(p.topP))
        w.uint64(p.seed); w.varint(UInt64(max(0, p.maxTokens)))
        w.array(p.stop) { $0.string($1) }
        w.varint(Fixed.zigzag(Fixed.signedMilli(p.presencePenalty)))
        w.varint(Fixed.zigzag(Fixed.signedMilli(p.frequencyPenalty)))
        w.array(p.logitBias) { w, b in
            w.varint(UInt64(UInt32(bitPattern: b.token))); w.varint(Fixed.zigzag(Fixed.signedMilli(b.bias)))
        }
        w.uint8(p.topLogprobs.map { UInt8(clamping: $0 + 1) } ?? 0)
        w.string(p.grammar)
    }

    public init(from r: inout WireReader) throws(WireError) {
        let at = r.offset
        let version = try r.uint8("job.version")
        guard version == Self.wireVersion else {
            throw WireError(.unknownVersion, "job.version \(version) (this node reads \(Self.wireVersion))", offset: at)
        }
        let kindAt = r.offset
        let kind = try r.uint8("job.prompt.kind")
        switch PromptKind(rawValue: kind) {
        case .chat:
            prompt = .chat(try r.array("job.prompt.messages", max: JobLimits.maxMessages) { (r: inout WireReader) throws(WireError) in
                let roleAt = r.offset
                let role = try r.string("job.message.role", max: JobLimits.maxRoleBytes)
                guard ChatMessage.roles.contains(role) else {
                    throw WireError(.invalidValue, "job.message.role \(role.debugDescription)", offset: roleAt)
                }
                return ChatMessage(role: role, content: try r.string("job.message.content", max: JobLimits.maxPromptBytes))
            })
        case .text:
            prompt = .text(try r.string("job.prompt.text", max: JobLimits.maxPromptBytes))
        case .tokens:
            prompt = .tokens(try r.array("job.prompt.tokens", max: JobLimits.maxPromptTokens) { (r: inout WireReader) throws(WireError) in
                Int32(try r.varint("job.prompt.token", max: UInt64(Int32.max)))
            })
        case nil:
            throw WireError(.invalidValue, "job.prompt.kind \(kind)", offset: kindAt)
        }
        let temperature = Double(try r.varint("job.temperatureMilli", max: UInt64(JobLimits.maxTemperature * 1000))) / 1000
        let topK = Int(try r.varint("job.topK", max: UInt64(JobLimits.maxTopK)))
        let topP = Double(try r.varint("job.topPMicro", max: 1_000_000)) / 1_000_000
        let seed = try r.uint64("job.seed")
        let maxTokens = Int(try r.varint("job.maxTokens", max: UInt64(JobLimits.maxTokens)))
        let stop = try r.array("job.stop", max: JobLimits.maxStopSequences) { (r: inout WireReader) throws(WireError) in
            try r.string("job.stop", max: JobLimits.maxStopBytes)
        }
        let penaltyMax = Int64(JobLimits.maxPenalty * 1000)
        let presence = Double(try Fixed.readSigned(&r, "job.presencePenaltyMilli", bound: penaltyMax)) / 1000
        let frequency = Double(try Fixed.readSigned(&r, "job.frequencyPenaltyMilli", bound: penaltyMax)) / 1000
        let bias = try r.array("job.logitBias", max: JobLimits.maxLogitBias) { (r: inout WireReader) throws(WireError) in
            let token = Int32(try r.varint("job.logitBias.token", max: UInt64(Int32.max)))
            let milli = try Fixed.readSigned(&r, "job.logitBias.biasMilli", bound: Int64(JobLimits.maxBias * 1000))
            return LogitBias(token: token, bias: Double(milli) / 1000)
        }
        let logprobsAt = r.offset
        let logprobs = try r.uint8("job.logprobs")
        guard Int(logprobs) <= JobLimits.maxTopLogprobs + 1 else {
            throw WireError(.oversized, "job.logprobs \(logprobs)", offset: logprobsAt)
        }
        let grammar = try r.string("job.grammar", max: JobLimits.maxGrammarBytes)
        parameters = SamplingParameters(
            temperature: temperature, topK: topK, topP: topP, seed: seed, maxTokens: maxTokens, stop: stop,
            presencePenalty: presence, frequencyPenalty: frequency, logitBias: bias,
            topLogprobs: logprobs == 0 ? nil : Int(logprobs) - 1, grammar: grammar)
        do { try validate() } catch {
            throw WireError(.invalidValue, "job: \(error.message)", offset: at)
        }
    }

    /// The request as its encoding carries it (fixed-point values rounded): what a provider
    /// and a validator run with. Throws when the request breaks a rule of `JobLimits`.
    public func canonicalized() throws(JobInputError) -> GenerationRequest {
        try validate()
        do { return try GenerationRequest(wireBytes: wireBytes) } catch {
            throw JobInputError("messages", "the request does not encode: \(error)")
        }
    }
}

/// Fixed-point helpers of the job encoding.
enum Fixed {
    static func milli(_ v: Double) -> UInt64 { v.isFinite && v > 0 ? UInt64((v * 1000).rounded()) : 0 }
    static func micro(_ v: Double) -> UInt64 { v.isFinite && v > 0 ? UInt64((min(1, v) * 1_000_000).rounded()) : 0 }
    static func signedMilli(_ v: Double) -> Int64 { v.isFinite ? Int64((v * 1000).rounded()) : 0 }
    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    /// Reads a zigzag varint whose magnitude is at most `bound`.
    static func readSigned(_ r: inout WireReader, _ field: String, bound: Int64) throws(WireError) -> Int64 {
        let at = r.offset
        let z = try r.varint(field, max: UInt64(bound) * 2)
        let v = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
        guard abs(v) <= bound else { throw WireError(.oversized, "\(field) \(v)", offset: at) }
        return v
    }
}
