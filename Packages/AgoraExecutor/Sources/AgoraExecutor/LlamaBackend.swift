import CLlama
import Foundation

/// Process-wide llama.cpp set-up: backend initialisation (once) and log routing.
enum LlamaBackend {
    private static let initialised: Bool = {
        // llama.cpp logs a lot at load time; keep stderr quiet unless asked for.
        if ProcessInfo.processInfo.environment["AGORA_LLAMA_LOG"] != "1" {
            llama_log_set({ _, _, _ in }, nil)
        }
        llama_backend_init()
        return true
    }()

    /// Initialises the backend on first use.
    static func ensureInitialised() { _ = initialised }

    /// llama.cpp's version and pinned commit, as recorded in fingerprints.
    static var build: String {
        ensureInitialised()
        let version = String(cString: llama_version())
        return "llama.cpp \(version) (llama-cpp-python 0.3.36 vendor commit 0c1e57098bba)"
    }

    /// Whether this build computes a token's logits independently of batch shape and thread
    /// count: llamafile's sgemm is not compiled in (flash attention is off in every context).
    static var isBitExact: Bool { !systemInfo.contains("LLAMAFILE = 1") }

    /// ggml's CPU feature line (AVX2, AVX-512, LLAMAFILE, …): these change the arithmetic.
    /// Read once: `llama_print_system_info` fills a static buffer, so two threads calling it
    /// at once read each other's half-written line (a speed cached under one key was looked
    /// up under another).
    static let systemInfo: String = {
        ensureInitialised()
        return String(cString: llama_print_system_info()).trimmingCharacters(in: CharacterSet(charactersIn: " |\n"))
    }()
}
