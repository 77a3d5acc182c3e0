import AgoraCrypto
import AgoraWire

extension Gossip {
    /// One model a member serves, with its measured speed and price.
    public struct ModelOffer: Hashable, Sendable, WireCodable {
        /// The longest model name accepted (bytes of UTF-8).
        public static let maxName = 128
        /// Model id: SHA-256 of the GGUF file.
        public var modelID: Digest
        /// Human-readable name, e.g. `SmolLM2-135M-Instruct.Q4_1`.
        public var name: String
        /// Context length in tokens.
        public var contextLength: UInt32
        /// Measured prompt-processing speed, in thousandths of a token per second.
        public var prefillMilliTokensPerSecond: UInt64
        /// Measured generation speed, in thousandths of a token per second.
        public var decodeMilliTokensPerSecond: UInt64
        /// Asking price per 1,000 generated tokens, in micro-credits.
        public var pricePer1kTokens: UInt64
        /// The arithmetic class this member runs the model in: the first 16 bytes of SHA-256
        /// of its engine's arithmetic string (Protocol.md §7.9), or empty when checks of it are
        /// not exact even within one class. Two members advertising one class for one model
        /// compute its logits bit for bit alike, so one can check the other exactly. A class
        /// is per model: one node may run one model in the CPU-independent portable class and
        /// another (whose operations that definition does not cover) in its CPU's own.
        public var arithmeticClass: [UInt8]

        /// An offer. `arithmeticClass` must be empty or 16 bytes (others are encoded as empty).
        public init(modelID: Digest, name: String, contextLength: UInt32, prefillMilliTokensPerSecond: UInt64,
                    decodeMilliTokensPerSecond: UInt64, pricePer1kTokens: UInt64, arithmeticClass: [UInt8] = []) {
            self.modelID = modelID
            self.name = name
            self.contextLength = contextLength
            self.prefillMilliTokensPerSecond = prefillMilliTokensPerSecond
            self.decodeMilliTokensPerSecond = decodeMilliTokensPerSecond
            self.pricePer1kTokens = pricePer1kTokens
            self.arithmeticClass = arithmeticClass.count == Capabilities.arithmeticClassLength ? arithmeticClass : []
        }

        /// `hash32 model id ‖ string name ‖ varint context ‖ varint prefill ‖ varint decode ‖ varint price ‖
        /// bytes arithmetic class (0 or 16)`.
        public func encode(to w: inout WireWriter) {
            w.raw(modelID.bytes)
            w.string(name)
            w.varint(UInt64(contextLength))
            w.varint(prefillMilliTokensPerSecond)
            w.varint(decodeMilliTokensPerSecond)
            w.varint(pricePer1kTokens)
            w.bytes(arithmeticClass)
        }

        /// Decodes with the bounds of Protocol.md §5.2.
        public init(from r: inout WireReader) throws(WireError) {
            let at = r.offset
            guard let id = try? Digest(bytes: try r.raw(32, "model.id")) else { throw WireError(.invalidValue, "model.id", offset: at) }
            modelID = id
            name = try r.string("model.name", max: ModelOffer.maxName)
            contextLength = UInt32(try r.varint("model.contextLength", max: UInt64(UInt32.max)))
            prefillMilliTokensPerSecond = try r.varint("model.prefill")
            decodeMilliTokensPerSecond = try r.varint("model.decode")
            pricePer1kTokens = try r.varint("model.price")
            let classAt = r.offset
            arithmeticClass = try r.bytes("model.arithmeticClass", max: Capabilities.arithmeticClassLength)
            guard arithmeticClass.isEmpty || arithmeticClass.count == Capabilities.arithmeticClassLength else {
                throw WireError(.invalidValue, "model.arithmeticClass: \(arithmeticClass.count) bytes, expected 0 or 16", offset: classAt)
            }
        }
    }

    /// What a member serves and how busy it is.
    public struct Capabilities: Hashable, Sendable, WireCodable {
        /// At most this many models per record.
        public static let maxModels = 8
        /// Length of an arithmetic class (bytes): the first 16 bytes of a SHA-256.
        public static let arithmeticClassLength = 16
        /// Models served.
        public var models: [ModelOffer]
        /// Jobs waiting in the member's queue when it signed the record.
        public var queueDepth: UInt32
        /// Capabilities.
        public init(models: [ModelOffer] = [], queueDepth: UInt32 = 0) {
            self.models = models
            self.queueDepth = queueDepth
        }

        /// The class `model` is run in here (empty when not served, or not exactly checkable).
        public func arithmeticClass(of model: Digest) -> [UInt8] {
            models.first { $0.modelID == model }?.arithmeticClass ?? []
        }

        /// The member's classes, one per model that has one, in the order of its models
        /// (for display; the market looks classes up per model).
        public var arithmeticClasses: [[UInt8]] {
            var seen: [[UInt8]] = []
            for m in models where !m.arithmeticClass.isEmpty && !seen.contains(m.arithmeticClass) { seen.append(m.arithmeticClass) }
            return seen
        }

        /// The arithmetic class of a runtime's arithmetic string.
        public static func arithmeticClass(of arithmetic: String) -> [UInt8] {
            Array(SHA256.hash(Array(arithmetic.utf8)).bytes.prefix(arithmeticClassLength))
        }

        /// `list<model> ‖ varint queue depth`.
        public func encode(to w: inout WireWriter) {
            w.array(models) { w, m in m.encode(to: &w) }
            w.varint(UInt64(queueDepth))
        }

        /// Decodes at most `maxModels` models.
        public init(from r: inout WireReader) throws(WireError) {
            models = try r.array("capabilities.models", max: Capabilities.maxModels) { r throws(WireError) in try ModelOffer(from: &r) }
            queueDepth = UInt32(try r.varint("capabilities.queueDepth", max: UInt64(UInt32.max)))
        }
    }
}
