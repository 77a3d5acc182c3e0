import AgoraExecutor
import Foundation

// agora-executor-bench [speed|verify-speed|calibrate|decode-probe|context-sweep|models|cross-class produce|cross-class check|cross-class harness-prompts|all] [--beside PATH] [--threads N] [--rounds R] [--reps K] [--count N] [--detect N] [--tokens N] [--first I] [--shapes all|N|I,J,...] [--slots N] [--contexts C1,C2,...] [--tolerances T1,T2,...] [--kernel automatic|avx2] [--model PATH] [--verdicts FILE]
// Measures LlamaEngine against llama.cpp's own llama-bench / llama-batched-bench (same source,
// model and threads) in one invocation, and calibrates verification over honest results.
let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first.map { $0.hasPrefix("--") ? "all" : $0 } ?? "all"
func option(_ name: String, _ fallback: String) -> String {
    let args = Array(CommandLine.arguments.dropFirst())
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
    return args[i + 1]
}
let model = option("--model", EngineConfiguration.defaultModelPath)
let threads = Int(option("--threads", "2")) ?? 2
let rounds = Int(option("--rounds", "3")) ?? 3
let reps = Int(option("--reps", "3")) ?? 3
let count = Int(option("--count", "1000")) ?? 1000
let detect = Int(option("--detect", "200")) ?? 200
let tokens = Int(option("--tokens", "16")) ?? 16
let first = Int(option("--first", "0")) ?? 0
let shapesOption = option("--shapes", "all")
let tolerances = option("--tolerances", "0.25,0.5,1,1.5,2,3.25").split(separator: ",").compactMap { Double($0) }

do {
    if mode == "context-sweep" {
        let contexts = option("--contexts", "256,1024,2048").split(separator: ",").compactMap { Int($0) }
        try await ContextSweep.run(model: model, threads: threads, rounds: rounds, reps: reps,
                                   slots: Int(option("--slots", "4")) ?? 4, contexts: contexts)
    }
    if mode == "verify-speed" {
        guard let kernel = OutputLayerKernel(rawValue: option("--kernel", "automatic")) else {
            FileHandle.standardError.write(Data("agora-executor-bench: --kernel takes automatic or avx2\n".utf8))
            exit(2)
        }
        try await VerifySpeed.run(model: model, threads: threads, rounds: rounds, reps: reps,
                                  outputTokens: Int(option("--tokens", "128")) ?? 128, kernel: kernel)
    }
    if mode == "models" {
        let beside = option("--beside", NSHomeDirectory() + "/.cache/agora/other-model/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf")
        try await ModelsBenchmark.run(models: [model, beside], threads: threads, rounds: rounds, reps: reps)
    }
    if mode == "cross-class" {
        let step = arguments.dropFirst().first ?? ""
        if step == "produce" {
            try await CrossClassBenchmark.produce(model: model, out: option("--out", "cross-class.json"),
                                                  count: Int(option("--count", "100")) ?? 100,
                                                  detect: Int(option("--detect", option("--count", "100"))) ?? 100, first: first)
        } else if step == "harness-prompts" {
            try await CrossClassBenchmark.harnessPrompts(model: model, count: Int(option("--count", "200")) ?? 200, first: first)
        } else if step == "check" {
            let verdicts = option("--verdicts", "")
            try await CrossClassBenchmark.check(model: model, input: option("--in", "cross-class.json"),
                                                verdicts: verdicts.isEmpty ? nil : verdicts, json: arguments.contains("--json"))
        } else {
            FileHandle.standardError.write(Data("agora-executor-bench cross-class produce --out FILE [--count N] [--detect M] [--first I] | check --in FILE [--verdicts FILE] [--json] | harness-prompts [--count N] [--first I]\n".utf8))
            exit(2)
        }
    }
    if mode == "decode-probe" { try await DecodeProbe.run(model: model, threads: threads, rounds: rounds, shapes: shapesOption) }
    if mode == "speed" || mode == "all" { try await SpeedBenchmark.run(model: model, threads: threads, rounds: rounds, reps: reps) }
    if mode == "calibrate" || mode == "all" {
        try await CalibrationBenchmark.run(model: model, count: count, detectionCount: detect, maxTokens: tokens, tolerances: tolerances, first: first)
    }
} catch {
    FileHandle.standardError.write(Data("agora-executor-bench: \(error)\n".utf8))
    exit(1)
}
