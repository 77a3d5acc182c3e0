import CLlama

/// Portable exact mode (docs/cross-class.md): a llama.cpp build patched by
/// `scripts/patches/portable-*.patch` computes every op of a covered model bit-identically on
/// scalar x86, AVX2, AVX-512 and aarch64 CPUs, taking the stock AVX2 build's arithmetic as the
/// definition. Engines of such builds share one arithmetic class whatever their CPU, so a
/// validator on any of them checks a provider on any other exactly.
///
/// The build owns the fact: it reports `PORTABLE_EXACT = <version>` among ggml's CPU features
/// only where the patches were measured exact (not with llamafile's sgemm, not on ARM with
/// i8mm, SVE or weight repacking). The model owns the other half: only the ops the patches
/// define may run, which `covers` reads from the GGUF file.
public enum PortableExact {
    /// The version of the arithmetic definition the loaded llama.cpp build follows, or nil
    /// when it is not a portable build (its results are exact only against its own CPU class).
    public static var buildVersion: Int? {
        let info = LlamaBackend.systemInfo
        guard let r = info.range(of: "PORTABLE_EXACT = ") else { return nil }
        return Int(info[r.upperBound...].prefix { $0.isNumber })
    }

    /// ggml's CPU feature line of the loaded llama.cpp build (which CPU features it uses).
    public static var systemInfo: String { LlamaBackend.systemInfo }

    /// Architectures whose graph uses only the covered ops (RMS norm, normal-mode RoPE,
    /// SwiGLU, masked soft-max, F16 KV cache), measured in docs/cross-class.md.
    static let architectures: Set<String> = ["llama"]
    /// Tensor types whose kernels the patches define (Q4_1 and Q8_0 weights, F32 norms).
    static let tensorTypes: Set<UInt32> = [GGML_TYPE_F32.rawValue, GGML_TYPE_Q4_1.rawValue, GGML_TYPE_Q8_0.rawValue]

    /// Whether every op of the model in `path` is covered by the portable definition: its
    /// architecture and every tensor's type are ones the patches define. False for a file that
    /// cannot be read.
    public static func covers(path: String) -> Bool {
        LlamaBackend.ensureInitialised()
        guard let gguf = gguf_init_from_file(path, gguf_init_params(no_alloc: true, ctx: nil)) else { return false }
        defer { gguf_free(gguf) }
        let archID = gguf_find_key(gguf, "general.architecture")
        guard archID >= 0, gguf_get_kv_type(gguf, archID) == GGUF_TYPE_STRING,
              let arch = gguf_get_val_str(gguf, archID).map({ String(cString: $0) }), architectures.contains(arch) else { return false }
        let count = gguf_get_n_tensors(gguf)
        guard count > 0 else { return false }
        return (0..<count).allSatisfy { tensorTypes.contains(gguf_get_tensor_type(gguf, $0).rawValue) }
    }

    /// The arithmetic string of an engine running a covered model on a portable build: the
    /// definition's version and the context options that change the arithmetic, no CPU feature.
    static func arithmetic(version: Int, options: String) -> String {
        "portable-exact v\(version) | \(options)"
    }
}
