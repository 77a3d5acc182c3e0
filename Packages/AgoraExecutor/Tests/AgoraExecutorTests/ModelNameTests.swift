import CLlama
import Foundation
import Testing
@testable import AgoraExecutor

@Suite("Readable model names (pure)")
struct ModelNameTests {
    /// SmolLM2's metadata as its GGUF file has it.
    static let smol = ModelNameMetadata(
        basename: "smollm2", name: "Smollm2 135M 8k Lc100K Mix1 Ep2", sizeLabel: "135M", finetune: "8k-lc100k-mix1-ep2",
        fileType: 3, parameterCount: 134_515_008, description: "llama 256M Q4_1", fileName: "/models/SmolLM2-135M-Instruct.Q4_1.gguf")

    @Test("names from a table of metadata: missing basename or size label, odd characters, unknown file types",
          arguments: [
              // The two real files' metadata.
              (smol, "smollm2:135m-instruct-q4_1"),
              (ModelNameMetadata(basename: "Qwen2.5-Coder", name: "Qwen2.5 Coder 0.5B Instruct AWQ", sizeLabel: "0.5B",
                                 finetune: "Instruct-AWQ", fileType: 15, fileName: "Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf"),
               "qwen2.5-coder:0.5b-instruct-q4_k_m"),
              // No basename: the leading words of general.name, up to its size word.
              (ModelNameMetadata(name: "Qwen2.5 Coder 0.5B Instruct AWQ", sizeLabel: "0.5B", fileType: 15, fileName: "q.gguf"),
               "qwen2.5-coder:0.5b-instruct-q4_k_m"),
              // No basename nor name: the file name's leading words; no size label: the parameter count.
              (ModelNameMetadata(fileType: 17, parameterCount: 8_030_261_248, fileName: "/m/Meta-Llama-3-8B-Instruct.Q5_K_M.gguf"),
               "meta-llama-3:8b-instruct-q5_k_m"),
              (ModelNameMetadata(basename: "smollm2", fileType: 3, parameterCount: 134_515_008, fileName: "a.gguf"), "smollm2:135m-q4_1"),
              (ModelNameMetadata(basename: "qwen2.5", fileType: 2, parameterCount: 494_032_768, fileName: "a.gguf"), "qwen2.5:494m-q4_0"),
              // A base model: an odd finetune string is no variant.
              (ModelNameMetadata(basename: "smollm2", name: "Smollm2 135M 8k Lc100K Mix1 Ep2", sizeLabel: "135M",
                                 finetune: "8k-lc100k-mix1-ep2", fileType: 7, fileName: "SmolLM2-135M.Q8_0.gguf"),
               "smollm2:135m-q8_0"),
              // Odd characters become `-`, runs collapse, ends are trimmed.
              (ModelNameMetadata(basename: "  Mistral (Nemo)™ Base!! ", sizeLabel: "12 B", finetune: "Chat_v2", fileType: 1,
                                 fileName: "x.gguf"),
               "mistral-nemo-base:12-b-chat-f16"),
              // `it` as a whole word; instruct wins over chat.
              (ModelNameMetadata(basename: "gemma-2", sizeLabel: "2B", finetune: "it", fileType: 32, fileName: "gemma-2-2b-it.gguf"),
               "gemma-2:2b-it-bf16"),
              (ModelNameMetadata(basename: "m", sizeLabel: "7B", finetune: "chat", fileType: 7, fileName: "m-7b-Instruct.gguf"),
               "m:7b-instruct-q8_0"),
              // "Italian" is not "it", "Instructional" not "instruct".
              (ModelNameMetadata(name: "Llama Italian 7B Instructional", fileType: 2, fileName: "li.gguf"), "llama-italian:q4_0"),
              // Unknown file type: llama.cpp's description, else no quantisation.
              (ModelNameMetadata(basename: "m", sizeLabel: "7B", fileType: 99, description: "llama 7B Q4_K - Medium", fileName: "m.gguf"),
               "m:7b-q4_k_m"),
              (ModelNameMetadata(basename: "m", sizeLabel: "7B", fileType: 99, description: "llama 7B unknown, may not work",
                                 fileName: "m.gguf"),
               "m:7b"),
              (ModelNameMetadata(basename: "m", sizeLabel: "", description: "llama 7B all F32", fileName: "m.gguf"), "m:f32"),
              // Nothing but a file name.
              (ModelNameMetadata(fileName: "Tiny.gguf"), "tiny"),
              (ModelNameMetadata(fileName: "/m/phi-2.Q4_0.gguf"), "phi-2"),
          ])
    func names(metadata: ModelNameMetadata, expected: String) {
        let name = ModelName(metadata)
        #expect(name.name == expected)
        #expect(name.name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-:".contains($0)) })
        #expect(name.name.filter { $0 == ":" }.count <= 1)
        #expect(name.aliases.allSatisfy { $0 == $0.lowercased() && $0 != name.name })
        #expect(Set(name.aliases).count == name.aliases.count)
    }

    @Test("aliases, most specific first: without the quantisation, family:size, family, the file stem")
    func aliases() {
        #expect(ModelName(Self.smol).aliases == ["smollm2:135m-instruct", "smollm2:135m", "smollm2", "smollm2-135m-instruct.q4_1"])
        // Without a variant, the name without its quantisation is family:size: listed once.
        let base = ModelName(ModelNameMetadata(basename: "smollm2", sizeLabel: "135M", fileType: 7, fileName: "SmolLM2-135M.Q8_0.gguf"))
        #expect(base.aliases == ["smollm2:135m", "smollm2", "smollm2-135m.q8_0"])
        #expect(ModelName(ModelNameMetadata(fileName: "Tiny.gguf")).aliases == [])
        #expect(ModelName(ModelNameMetadata(fileName: "Tiny.Q4_0.gguf")).aliases == ["tiny.q4_0"])
        #expect(ModelName(ModelNameMetadata(fileName: "Tiny.Q4_0.gguf")).name == "tiny")
    }

    @Test("parameter counts as sizes")
    func sizes() {
        #expect(ModelName.size(parameterCount: 134_515_008) == "135m")
        #expect(ModelName.size(parameterCount: 494_032_768) == "494m")
        #expect(ModelName.size(parameterCount: 1_236_000_000) == "1.2b")
        #expect(ModelName.size(parameterCount: 8_030_261_248) == "8b")
        #expect(ModelName.size(parameterCount: 999_999_999) == "1b")
        #expect(ModelName.size(parameterCount: 70_553_706_496) == "70.6b")
        #expect(ModelName.size(parameterCount: 500_000) == "500k")
    }

    @Test("sanitising and quantisations from file types and descriptions")
    func parts() {
        #expect(ModelName.sanitised("Qwen2.5-Coder") == "qwen2.5-coder")
        #expect(ModelName.sanitised("Llama 3.1 (8B) Instruct") == "llama-3.1-8b-instruct")
        #expect(ModelName.sanitised("--a  b:c/d--") == "a-b-c-d")
        #expect(ModelName.sanitised("Ünïcode") == "n-code")
        #expect(ModelName.quantisation(fileType: 3) == "q4_1")
        #expect(ModelName.quantisation(fileType: 15) == "q4_k_m")
        #expect(ModelName.quantisation(fileType: 30) == "iq4_xs")
        #expect(ModelName.quantisation(fileType: 4) == nil)
        #expect(ModelName.quantisation(description: "qwen2 1B Q4_K - Medium") == "q4_k_m")
        #expect(ModelName.quantisation(description: "llama 7B Q3_K - Large") == "q3_k_l")
        #expect(ModelName.quantisation(description: "llama 7B Q2_K - Medium") == "q2_k")
        #expect(ModelName.quantisation(description: "llama 7B IQ2_XXS - 2.0625 bpw") == "iq2_xxs")
        #expect(ModelName.quantisation(description: "llama 7B IQ3_S mix - 3.66 bpw") == "iq3_m")
        #expect(ModelName.quantisation(description: "llama 256M Q4_1") == "q4_1")
        #expect(ModelName.quantisation(description: "llama ?B") == nil)
    }
}

/// Resident memory of this process, from /proc/self/status (Linux).
struct ResidentMemory {
    var total: UInt64
    var anonymous: UInt64
    var file: UInt64

    static var available: Bool { FileManager.default.fileExists(atPath: "/proc/self/status") }

    static func now() -> ResidentMemory {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func kB(_ key: String) -> UInt64 {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return (line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0) * 1024
        }
        return ResidentMemory(total: kB("VmRSS"), anonymous: kB("RssAnon"), file: kB("RssFile"))
    }

    /// The resident memory once it has stopped moving (engines of earlier tests finish
    /// freeing on their own threads): two readings 200 ms apart within 1 MiB, or after 3 s.
    static func settled() async -> ResidentMemory {
        var last = now()
        for _ in 0..<15 {
            try? await Task.sleep(for: .milliseconds(200))
            let next = now()
            if max(next.total, last.total) - min(next.total, last.total) < 1 << 20 { return next }
            last = next
        }
        return last
    }
}

func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

extension ExecutorTests {
@Suite("Model names and memory estimates on the real models")
struct ModelMemoryTests {
    static let qwen = BatchInvarianceTests.qwen

    static func fileSize(_ path: String) throws -> UInt64 {
        try #require((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value)
    }

    /// The shape read from the GGUF header equals llama.cpp's own hyperparameters.
    static func expectShapeMatchesLlama(_ engine: LlamaEngine) {
        let shape = engine.llama.shape
        let m = engine.llama.pointer
        #expect(shape.layers == Int(llama_model_n_layer(m)))
        #expect(shape.embedding == Int(llama_model_n_embd(m)))
        #expect(shape.heads == Int(llama_model_n_head(m)))
        #expect(shape.kvHeadsAllLayers == Int(llama_model_n_layer(m) * llama_model_n_head_kv(m)))
        #expect(shape.keyLength == Int(llama_model_n_embd(m) / llama_model_n_head(m)))
        #expect(shape.vocabulary == engine.model.vocabularySize)
    }

    @Test("the SmolLM2 file is smollm2:135m-instruct-q4_1, with its aliases and metadata")
    func smolName() async throws {
        let engine = try await Engines.shared.engine()
        let m = engine.model
        #expect(m.name == "smollm2:135m-instruct-q4_1")
        #expect(m.aliases == ["smollm2:135m-instruct", "smollm2:135m", "smollm2", "smollm2-135m-instruct.q4_1"])
        #expect(m.fileName == "SmolLM2-135M-Instruct.Q4_1")
        #expect(m.architecture == "llama")
        #expect(m.metadataName == "Smollm2 135M 8k Lc100K Mix1 Ep2")
        #expect(m.quantisation == "Q4_1")
        Self.expectShapeMatchesLlama(engine)
    }

    @Test("the Qwen2.5-Coder file is qwen2.5-coder:0.5b-instruct-q4_k_m; its estimate is the same before and after loading",
          .enabled(if: FileManager.default.fileExists(atPath: qwen)))
    func qwenNameAndEstimate() async throws {
        let config = EngineConfiguration(modelPath: Self.qwen, threads: 1, slots: 2, contextPerSlot: 512, measureSpeedAtStart: false)
        var engine: LlamaEngine? = try await LlamaEngine.load(config)
        defer { engine?.shutdown() }
        try await Self.qwenChecks(try #require(engine), config)
        // Gone before the next test measures the process's memory: the worker's thread has
        // ended and freed the context and KV cache.
        await engine?.close()
        engine = nil
    }

    static func qwenChecks(_ engine: LlamaEngine, _ config: EngineConfiguration) async throws {
        let m = engine.model
        #expect(m.name == "qwen2.5-coder:0.5b-instruct-q4_k_m")
        #expect(m.aliases == ["qwen2.5-coder:0.5b-instruct", "qwen2.5-coder:0.5b", "qwen2.5-coder", "qwen2.5-coder-0.5b-instruct.q4_k_m"])
        #expect(m.fileName == "Qwen2.5-Coder-0.5B-Instruct.Q4_K_M")
        #expect(m.architecture == "qwen2")
        #expect(m.metadataName == "Qwen2.5 Coder 0.5B Instruct AWQ")
        #expect(m.quantisation == "Q4_K_M")
        Self.expectShapeMatchesLlama(engine)
        let before = try await LlamaEngine.estimateMemory(config)
        #expect(before == engine.memoryEstimate)
        // 24 layers, 2 KV heads of 64, f16 keys and values, 2 × 512 cells: llama.cpp's log says 12.00 MiB.
        #expect(before.contextTokens == 1024)
        #expect(before.kvCacheBytes == 24 * 1024 * 2 * 64 * 2 * 2)
        #expect(before.kvCacheBytes == 12 << 20)
        #expect(before.weightBytes == (try Self.fileSize(Self.qwen)))
        // Its Q4_K feed-forward matrices are repacked for AVX2 (llama.cpp's log: CPU_REPACK 28.05 MiB).
        if LlamaBackend.systemInfo.contains("AVX2 = 1") && LlamaBackend.systemInfo.contains("REPACK = 1") {
            #expect(engine.llama.shape.repackedBytes > 27 << 20 && engine.llama.shape.repackedBytes < 31 << 20,
                    "\(engine.llama.shape.repackedBytes)")
        }
        for slots in [4, 2] {
            let e = try await LlamaEngine.estimateMemory(EngineConfiguration(modelPath: Self.qwen, slots: slots, contextPerSlot: 2048))
            print("Qwen2.5-Coder-0.5B Q4_K_M, \(slots) × 2048: weights \(mib(e.weightBytes)), KV \(mib(e.kvCacheBytes)), compute \(mib(e.computeBytes)), other \(mib(e.otherBytes)), total \(mib(e.total))")
        }
    }

    @Test("estimateMemory: weights are the file, the KV cache follows the formula and grows with the context")
    func estimate() async throws {
        let size = try Self.fileSize(modelPath)
        let e = try await LlamaEngine.estimateMemory(EngineConfiguration(threads: 1, slots: 4, contextPerSlot: 2048))
        #expect(e.weightBytes == size)
        // 30 layers × 8,192 cells × (K + V) × 64 per head × 3 KV heads × 2 bytes (f16):
        // 180.00 MiB, as llama.cpp's load log reports for this context.
        #expect(e.contextTokens == 8192)
        #expect(e.kvCacheBytes == 30 * 8192 * 2 * 64 * 3 * 2)
        #expect(e.kvCacheBytes == 180 << 20)
        #expect(e.computeBytes > 96 << 20)  // at least llama.cpp's logits for a micro-batch
        #expect(e.otherBytes > 0)
        #expect(e.total == e.weightBytes + e.kvCacheBytes + e.computeBytes + e.otherBytes)
        print("SmolLM2-135M Q4_1, 4 × 2048: weights \(mib(e.weightBytes)), KV \(mib(e.kvCacheBytes)), compute \(mib(e.computeBytes)), other \(mib(e.otherBytes)), total \(mib(e.total))")

        let double = try await LlamaEngine.estimateMemory(EngineConfiguration(threads: 1, slots: 4, contextPerSlot: 4096))
        #expect(double.kvCacheBytes == 2 * e.kvCacheBytes)
        #expect(double.weightBytes == e.weightBytes)
        #expect(double.total > e.total)
        let half = try await LlamaEngine.estimateMemory(EngineConfiguration(threads: 1, slots: 2, contextPerSlot: 2048))
        #expect(half.kvCacheBytes * 2 == e.kvCacheBytes)
        print("SmolLM2-135M Q4_1, 2 × 2048: weights \(mib(half.weightBytes)), KV \(mib(half.kvCacheBytes)), compute \(mib(half.computeBytes)), other \(mib(half.otherBytes)), total \(mib(half.total))")
        // llama.cpp rounds each sequence's share up to 256 cells (its log: n_ctx 4096 and 768).
        #expect(try await LlamaEngine.estimateMemory(EngineConfiguration(slots: 4, contextPerSlot: 1000)).contextTokens == 4096)
        #expect(try await LlamaEngine.estimateMemory(EngineConfiguration(slots: 3, contextPerSlot: 100)).contextTokens == 768)
        // A long context per sequence: the attention scores outgrow the logits (llama.cpp: 646.38 MiB
        // of compute buffer for 1 × 32768, of which 640 MiB are scores and mask).
        let long = try await LlamaEngine.estimateMemory(EngineConfiguration(slots: 1, contextPerSlot: 32768))
        #expect(long.computeBytes > 640 << 20)

        await expectError(.modelNotFound) { try await LlamaEngine.estimateMemory(EngineConfiguration(modelPath: "/nonexistent/m.gguf")) }
        await expectError(.invalidParameter) { try await LlamaEngine.estimateMemory(EngineConfiguration(slots: 0)) }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let notGGUF = dir + "/x.gguf"
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: notGGUF))
        await expectError(.notGGUF) { try await LlamaEngine.estimateMemory(EngineConfiguration(modelPath: notGGUF)) }
    }

    /// Loads an engine of 4 slots × 2,048 tokens and drives it to the most memory it takes: jobs
    /// in every slot, and a verification of more claimed tokens than a micro-batch (llama.cpp
    /// keeps a logits row for every position of the largest decode). The process's resident
    /// memory must then have grown by no more than the estimate's total, which claims to be an
    /// upper bound; and by at least the KV cache, which llama.cpp clears (so faults in) when it
    /// creates the context. The weights are mapped and faulted in at load, counted in full by
    /// the estimate; the compute buffer is only partly touched, so the bound has headroom.
    @Test("a loaded engine stays within its estimate", .enabled(if: ResidentMemory.available))
    func residentMemoryWithinEstimate() async throws {
        // The long claim comes from the shared 2-thread engine, before the measurement (the
        // thread count does not change a bit of the result).
        let writer = try await Engines.shared.engine(threads: 2)
        let endings = (Int32(0)..<Int32(64)).filter { writer.isEndOfGeneration($0) }
        #expect(!endings.isEmpty)
        let long = GenerationRequest.chat("Tell me a very long story about a lighthouse keeper.", parameters: SamplingParameters(
            temperature: 0.8, seed: 7, maxTokens: 560, logitBias: endings.map { LogitBias(token: $0, bias: -100) }))
        let claim = try await writer.generate(long)
        #expect(claim.tokens.count == 560)

        let config = EngineConfiguration(threads: 1, slots: 4, contextPerSlot: 2048, measureSpeedAtStart: false)
        let before = await ResidentMemory.settled()
        let engine = try await LlamaEngine.load(config)
        defer { engine.shutdown() }
        let loaded = ResidentMemory.now()
        let estimate = engine.memoryEstimate
        let short = samplePrompts.prefix(4).enumerated().map { i, p in
            GenerationRequest.chat(p, parameters: SamplingParameters(temperature: 0.7, seed: UInt64(i), maxTokens: 16))
        }
        _ = try await generateBatched(engine, Array(short))
        let verdict = try await engine.verify(request: long, claimedTokens: claim.tokens, claimedArithmetic: engine.arithmetic)
        #expect(verdict.passed, "\(verdict)")
        #expect(verdict.report.mode == .exact)
        let after = ResidentMemory.now()

        let grown = after.total > before.total ? after.total - before.total : 0
        print("SmolLM2 4 × 2048, 1 thread: resident memory +\(mib(loaded.total - min(loaded.total, before.total))) after load, +\(mib(grown)) after 4 jobs and a 560-token verification (anonymous +\(mib(after.anonymous - min(after.anonymous, before.anonymous))), file +\(mib(after.file - min(after.file, before.file)))); estimate \(mib(estimate.total)) (weights \(mib(estimate.weightBytes)), KV \(mib(estimate.kvCacheBytes)), compute \(mib(estimate.computeBytes)), other \(mib(estimate.otherBytes)))")
        #expect(grown <= estimate.total, "resident memory grew by \(mib(grown)), more than the estimate of \(mib(estimate.total))")
        #expect(loaded.anonymous >= before.anonymous + estimate.kvCacheBytes,
                "anonymous memory grew by \(mib(loaded.anonymous - min(loaded.anonymous, before.anonymous))) at load, less than the KV cache of \(mib(estimate.kvCacheBytes))")
        #expect(estimate == (try await LlamaEngine.estimateMemory(config)))

        // The same claim checked with llama.cpp's logits (the engine's output layer off), in
        // steps of at most a micro-batch shared with nothing else: still exact.
        let plain = try await Engines.shared.engine(ownOutputLayer: false)
        let again = try await plain.verify(request: long, claimedTokens: claim.tokens, claimedArithmetic: plain.arithmetic)
        #expect(again.passed && again.report.mode == .exact, "\(again)")
    }
}
}
