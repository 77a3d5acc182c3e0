import COutputLayer

/// Which of the engine's kernels computes a verification's output layer (`OutputLayer`).
/// Every kernel gives llama.cpp's bits; they differ only in speed.
public enum OutputLayerKernel: String, Sendable, Equatable, CaseIterable {
    /// The fastest this CPU runs: AVX-512 VNNI, else AVX2.
    case automatic
    /// The AVX2 kernel even where AVX-512 VNNI is available (for measurement and tests).
    case avx2

    /// The C kernel (`AGORA_KERNEL_…`) this choice runs on this CPU; the scalar reference
    /// when the CPU has neither.
    var cKernel: Int32 {
        let best = agora_output_layer_best_kernel()
        switch self {
        case .automatic: return best
        case .avx2: return best >= Int32(AGORA_KERNEL_AVX2) ? Int32(AGORA_KERNEL_AVX2) : Int32(AGORA_KERNEL_REFERENCE)
        }
    }

    /// A C kernel's name, for diagnostics.
    static func name(ofC kernel: Int32) -> String {
        switch kernel {
        case Int32(AGORA_KERNEL_AVX512_VNNI): return "AVX-512 VNNI"
        case Int32(AGORA_KERNEL_AVX2): return "AVX2"
        default: return "scalar"
        }
    }
}
