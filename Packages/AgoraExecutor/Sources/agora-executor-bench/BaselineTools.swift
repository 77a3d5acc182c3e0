import Foundation

/// Runs llama.cpp's own benchmark tools (built by scripts/bootstrap from the same source), with
/// flash attention off as in every `LlamaEngine` context.
enum BaselineTools {
    static var prefix: String {
        let env = ProcessInfo.processInfo.environment
        return env["AGORA_LLAMA_PREFIX"] ?? (NSHomeDirectory() + "/.cache/agora/llama")
    }

    /// Runs `tool` with `arguments`; returns stdout.
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prefix + "/bin/" + tool)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // The bench tools' RUNPATH names the (deleted) build tree; their libraries sit in lib/.
        env["LD_LIBRARY_PATH"] = prefix + "/lib" + (env["LD_LIBRARY_PATH"].map { ":" + $0 } ?? "")
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("\(tool) exited with \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// llama-bench's mean tokens/s for a prompt of `prompt` tokens or `gen` generated tokens.
    static func llamaBench(model: String, threads: Int, prompt: Int, gen: Int, repetitions: Int) throws -> Double {
        try llamaBenchSamples(model: model, threads: threads, prompt: prompt, gen: gen, repetitions: repetitions).mean
    }

    /// llama-bench's mean tokens/s and its per-repetition rates (`samples_ts`).
    static func llamaBenchSamples(model: String, threads: Int, prompt: Int, gen: Int, repetitions: Int) throws -> (mean: Double, samples: [Double]) {
        let text = try run("llama-bench", ["-m", model, "-t", "\(threads)", "-p", "\(prompt)", "-n", "\(gen)",
                                           "-r", "\(repetitions)", "-fa", "off", "-o", "json"])
        guard let rows = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]],
              let ts = rows.first?["avg_ts"] as? Double else { throw BenchError("cannot parse llama-bench output: \(text.prefix(200))") }
        return (ts, rows.first?["samples_ts"] as? [Double] ?? [ts])
    }

    /// llama-batched-bench's figures for `parallel` sequences of `prompt` + `gen` tokens.
    static func batchedBench(model: String, threads: Int, prompt: Int, gen: Int, parallel: Int) throws -> (tg: Double, total: Double) {
        let ctx = parallel * (prompt + gen) + 64
        let text = try run("llama-batched-bench", ["-m", model, "-t", "\(threads)", "-tb", "\(threads)", "-c", "\(ctx)",
                                                   "-npp", "\(prompt)", "-ntg", "\(gen)", "-npl", "\(parallel)", "-fa", "off",
                                                   "--output-format", "jsonl"])
        for line in text.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let tg = obj["speed_tg"] as? Double, let total = obj["speed"] as? Double else { continue }
            return (tg, total)
        }
        throw BenchError("cannot parse llama-batched-bench output: \(text.prefix(300))")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Peak resident memory of this process (VmHWM), in MiB.
func peakMemoryMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}

/// The 1-minute load average, to note how busy the shared machine was.
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s[s.count / 2]
}

func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

/// Prints one line to stdout at once (stdout is block-buffered when redirected to a file).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
