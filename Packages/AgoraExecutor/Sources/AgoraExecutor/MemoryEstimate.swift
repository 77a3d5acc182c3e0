import CLlama
import Foundation

/// Memory an engine takes for its model and configuration, estimated without creating a
/// context (`LlamaEngine.estimateMemory`) so that a node can keep its models within a budget.
/// Every figure mirrors what this engine's llama.cpp build allocates (checked against its
/// load log for SmolLM2-135M Q4_1 and Qwen2.5-Coder-0.5B Q4_K_M at several slot and context
/// sizes) and is meant as an upper bound of the resident memory the engine reaches.
public struct MemoryEstimate: Sendable, Equatable {
    /// The weights: the file size. llama.cpp maps the file and faults all of it in at load.
    public var weightBytes: UInt64
    /// The KV cache: layers × `contextTokens` × (key + value length) × KV heads × 2 bytes
    /// (f16, llama.cpp's default, which the worker keeps; KV heads summed over the layers
    /// when they differ by layer). llama.cpp clears it when it creates
    /// the context, so all of it is resident from the start. Sliding-window models need less.
    public var kvCacheBytes: UInt64
    /// llama.cpp's compute buffer for a micro-batch of `n_ubatch` (512) tokens, the largest
    /// of its logits (vocabulary × 512 × 4 bytes), its attention scores and mask (context per
    /// sequence × 512 × (heads + 1) × 4 bytes, flash attention being off) and its
    /// feed-forward activations (3 × 512 × feed-forward length × 4 bytes), plus
    /// 8 × 512 × embedding × 4 bytes for the other activations; and logits rows of
    /// vocabulary × 4 bytes: llama.cpp's output buffer, which keeps a row for every position
    /// that wanted logits in the largest decode so far (the worker decodes at most 512
    /// verification positions a step, plus one a generating slot), the engine's verification
    /// buffer (64 rows) and a row a slot for sampling.
    public var computeBytes: UInt64
    /// The rest: the vocabulary's tables (448 bytes a token; llama.cpp's take about 330–375),
    /// weights llama.cpp copies into an interleaved layout for this CPU (`CPU_REPACK`, on top
    /// of the mapped file), the worker's batch and captured hidden rows, and 16 MiB for threads
    /// and the engine's own structures.
    public var otherBytes: UInt64
    /// KV cells the context holds: slots × context per slot, each sequence's share rounded up
    /// to a multiple of 256 as llama.cpp does.
    public var contextTokens: Int

    /// All of it.
    public var total: UInt64 { weightBytes + kvCacheBytes + computeBytes + otherBytes }

    /// The estimate for a model of `shape` in a file of `fileSize` bytes run with `c`.
    init(shape: ModelShape, fileSize: UInt64, configuration c: EngineConfiguration) {
        // llama.cpp (llama_context): n_ctx rounded up to 256, split evenly over the sequences
        // (kv_unified is off), each share rounded up to 256 again.
        let perSequence = Self.roundUp(Self.roundUp(c.slots * c.contextPerSlot, 256) / c.slots, 256)
        let cells = perSequence * c.slots
        contextTokens = cells
        weightBytes = fileSize
        let kv = cells * (shape.keyLength + shape.valueLength) * shape.kvHeadsAllLayers * 2
        kvCacheBytes = UInt64(kv)
        // n_batch is slots × context per slot (LlamaWorker), so the micro-batch is at most that.
        let ubatch = min(LlamaWorker.microBatch, c.slots * c.contextPerSlot)
        let logits = shape.vocabulary * ubatch * 4
        let attention = perSequence * ubatch * (shape.heads + 1) * 4
        let feedForward = 3 * ubatch * shape.feedForward * 4
        let graph = max(logits, attention, feedForward) + 8 * ubatch * shape.embedding * 4
        let rows = (LlamaWorker.microBatch + LlamaWorker.outputChunk + 2 * c.slots) * shape.vocabulary * 4
        computeBytes = UInt64(graph + rows)
        let vocabulary = 448 * shape.vocabulary
        let batch = 32 * cells
        let hidden = c.contextPerSlot * shape.embedding * 4
        otherBytes = shape.repackedBytes + UInt64(vocabulary + batch + hidden + (16 << 20))
    }

    private static func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }
}

/// The hyperparameters of a model that its memory depends on, read from its GGUF header
/// with ggml's `gguf` reader (a vocabulary-only llama.cpp load would not do: this llama.cpp
/// skips the hyperparameters when it loads only the vocabulary). The missing keys default
/// as in llama.cpp (`llama_model_base::load_hparams`): KV heads to the heads, key and value
/// length to embedding / heads.
struct ModelShape: Sendable, Equatable {
    /// `<arch>.block_count`.
    var layers: Int
    /// `<arch>.embedding_length`.
    var embedding: Int
    /// `<arch>.attention.head_count` (the largest, when it is given per layer).
    var heads: Int
    /// `<arch>.attention.head_count_kv` summed over the layers.
    var kvHeadsAllLayers: Int
    /// `<arch>.attention.key_length` and `value_length`.
    var keyLength: Int
    var valueLength: Int
    /// Tokens in `tokenizer.ggml.tokens` (else `<arch>.vocab_size`).
    var vocabulary: Int
    /// `<arch>.feed_forward_length` (the largest, when it is given per layer).
    var feedForward: Int
    /// Bytes of the weights llama.cpp repacks for this CPU (see `repackedBytes`).
    var repackedBytes: UInt64

    /// Reads the shape of the model in `path`.
    init(path: String) throws(ExecutorError) {
        LlamaBackend.ensureInitialised()
        guard let gguf = gguf_init_from_file(path, gguf_init_params(no_alloc: true, ctx: nil)) else {
            throw ExecutorError(.modelLoadFailed, "cannot read the GGUF header of \(path): the file is truncated or corrupt")
        }
        defer { gguf_free(gguf) }
        let archID = gguf_find_key(gguf, "general.architecture")
        guard archID >= 0, gguf_get_kv_type(gguf, archID) == GGUF_TYPE_STRING, let arch = gguf_get_val_str(gguf, archID).map({ String(cString: $0) }) else {
            throw ExecutorError(.modelLoadFailed, "\(path) names no architecture (general.architecture)")
        }
        let values = { (key: String) -> [Int] in Self.integers(gguf, "\(arch).\(key)") }
        guard let layers = values("block_count").first, layers > 0,
              let embedding = values("embedding_length").first, embedding > 0 else {
            throw ExecutorError(.modelLoadFailed, "\(path) lacks \(arch).block_count or \(arch).embedding_length")
        }
        self.layers = layers
        self.embedding = embedding
        let headsPerLayer = Self.perLayer(values("attention.head_count"), layers)
        heads = max(1, headsPerLayer.max() ?? 1)
        let kv = values("attention.head_count_kv")
        kvHeadsAllLayers = (kv.isEmpty ? headsPerLayer : Self.perLayer(kv, layers)).reduce(0, +)
        keyLength = values("attention.key_length").first ?? embedding / heads
        valueLength = values("attention.value_length").first ?? embedding / heads
        feedForward = values("feed_forward_length").max() ?? 4 * embedding
        let tokens = gguf_find_key(gguf, "tokenizer.ggml.tokens")
        if tokens >= 0, gguf_get_kv_type(gguf, tokens) == GGUF_TYPE_ARRAY {
            vocabulary = gguf_get_arr_n(gguf, tokens)
        } else {
            vocabulary = values("vocab_size").first ?? 0
        }
        repackedBytes = Self.repackedBytes(gguf)
    }

    /// A value given once or per layer, as one value per layer.
    private static func perLayer(_ values: [Int], _ layers: Int) -> [Int] {
        values.count == layers ? values : Array(repeating: values.first ?? 0, count: layers)
    }

    /// The integer value of `key`, or the elements of an integer array; empty when missing.
    static func integers(_ gguf: OpaquePointer, _ key: String) -> [Int] {
        let id = gguf_find_key(gguf, key)
        guard id >= 0 else { return [] }
        let type = gguf_get_kv_type(gguf, id)
        if type == GGUF_TYPE_ARRAY {
            let n = gguf_get_arr_n(gguf, id)
            let elementType = gguf_get_arr_type(gguf, id)
            guard n > 0, elementType != GGUF_TYPE_STRING, let data = gguf_get_arr_data(gguf, id) else { return [] }
            return (0..<n).compactMap { integer(data, elementType, $0) }
        }
        guard let data = gguf_get_val_data(gguf, id) else { return [] }
        return integer(data, type, 0).map { [$0] } ?? []
    }

    /// Element `i` of integer data of `type`; nil for other types.
    private static func integer(_ data: UnsafeRawPointer, _ type: gguf_type, _ i: Int) -> Int? {
        switch type {
        case GGUF_TYPE_UINT8: Int(data.load(fromByteOffset: i, as: UInt8.self))
        case GGUF_TYPE_INT8: Int(data.load(fromByteOffset: i, as: Int8.self))
        case GGUF_TYPE_UINT16: Int(data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case GGUF_TYPE_INT16: Int(data.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
        case GGUF_TYPE_UINT32: Int(data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        case GGUF_TYPE_INT32: Int(data.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
        case GGUF_TYPE_UINT64: Int(exactly: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
        case GGUF_TYPE_INT64: Int(data.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
        default: nil
        }
    }

    /// Bytes of the tensors in `path` that llama.cpp's CPU backend copies into its interleaved
    /// `CPU_REPACK` layout on this CPU (ggml-cpu `repack.cpp`, `ggml_repack_get_optimal_repack_type`):
    /// on x86 with AVX2 the Q4_0, Q4_K, IQ4_NL and MXFP4 matrices (and Q2_K with AVX-512)
    /// whose row count is a multiple of 8; on ARM, conservatively, those and Q5_K, Q6_K and
    /// Q8_0 with a row count a multiple of 4. The token embeddings are only looked up, never
    /// repacked. 0 when the build does not repack.
    static func repackedBytes(_ gguf: OpaquePointer) -> UInt64 {
        let features = LlamaBackend.systemInfo
        guard features.contains("REPACK = 1") else { return 0 }
        var types: [ggml_type] = []
        var multiple = 8
        if features.contains("AVX2 = 1") {
            types = [GGML_TYPE_Q4_0, GGML_TYPE_Q4_K, GGML_TYPE_IQ4_NL, GGML_TYPE_MXFP4]
            if features.contains("AVX512 = 1") { types.append(GGML_TYPE_Q2_K) }
        } else if features.contains("NEON = 1") {
            types = [GGML_TYPE_Q4_0, GGML_TYPE_Q4_K, GGML_TYPE_IQ4_NL, GGML_TYPE_MXFP4, GGML_TYPE_Q5_K,
                     GGML_TYPE_Q6_K, GGML_TYPE_Q8_0]
            multiple = 4
        }
        guard !types.isEmpty else { return 0 }
        var bytes: UInt64 = 0
        for i in 0..<gguf_get_n_tensors(gguf) {
            guard types.contains(gguf_get_tensor_type(gguf, i)), let ne = gguf_get_tensor_ne(gguf, i),
                  ne[1] % Int64(multiple) == 0 else { continue }
            if let name = gguf_get_tensor_name(gguf, i), String(cString: name).hasPrefix("token_embd") { continue }
            bytes += UInt64(gguf_get_tensor_size(gguf, i))
        }
        return bytes
    }
}
