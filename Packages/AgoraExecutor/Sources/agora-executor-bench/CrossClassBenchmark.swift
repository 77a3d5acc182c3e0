import AgoraExecutor
import Foundation

/// Checks across arithmetic classes (issue [5/5]), in two steps run under different llama.cpp
/// builds (`scripts/cross-class` preloads each class build of `scripts/build-classes`):
///
/// - `cross-class produce --out FILE --count N [--detect M] [--first I]`: on this build, N
///   honest results (mixed prompts, 16–128 tokens, greedy and five seeded samplers, half
///   generated four at a time and half alone) and, for the first M of them (default all), the
///   tampered claims a validator must fail (a token
///   replaced, truncation, extension, another prompt, a slightly altered prompt, the output of
///   a Q8_0, Q4_0 or Q5_1 requantisation, of another model). A claim marked `differs: false`
///   equals the honest output of its request (the tampering changed nothing): correct, not
///   counted as a detection either way.
/// - `cross-class check --in FILE [--verdicts FILE] [--json]`: every claim checked on this build,
///   each against the arithmetic the producer's results name (the portable class makes that exact
///   on every CPU). With `--verdicts`, a claim byte-identical to one this build already checked
///   (same request, tokens and claimed arithmetic; the file is kept per checker build) takes that
///   check's verdict instead of running it again — a check is a deterministic function of the
///   claim — and the report counts those apart (`verdictsReused`).
enum CrossClassBenchmark {
    /// One claim: a request, the tokens claimed for it, and what it is.
    struct Claim: Codable {
        /// `honest-batched`, `honest-alone`, or the tampering kind.
        var kind: String
        var request: GenerationRequest
        var tokens: [Int32]
        /// Whether the tokens differ from the request's honest output (always for honest: false).
        var differs: Bool
    }

    /// What `produce` writes.
    struct Claims: Codable {
        var producerArithmetic: String
        var producerBuild: String
        var modelID: String
        var claims: [Claim]
    }

    /// What `check` prints with `--json`.
    struct Report: Codable {
        struct Detection: Codable {
            var claims = 0
            var differing = 0
            var detected = 0
        }
        var producerArithmetic: String
        var checkerArithmetic: String
        var honestChecked = 0
        var falseRejections = 0
        var exactChecks = 0
        var tolerantChecks = 0
        /// Checks run by this invocation, and verdicts taken from an identical claim's check.
        var checksRun = 0
        var verdictsReused = 0
        var detection: [String: Detection] = [:]
        var seconds = 0.0
    }

    static func requests(count: Int, first: Int) -> [GenerationRequest] {
        (first..<first + count).map { i in
            var r = CalibrationBenchmark.requests(count: 1, maxTokens: 16, first: i)[0]
            r.parameters.maxTokens = 16 + (i &* 37) % 113   // 16 ... 128
            return r
        }
    }

    /// `cross-class harness-prompts`: the same requests as lines for the C harness
    /// (`tools/xclass/run-matrix.py --prompts`), for classes no node runs here (aarch64 under
    /// qemu): tokens to generate, the prompt rendered with the model's chat template (escaped),
    /// the temperature (0 = greedy) and a 32-bit seed. The harness samples with llama.cpp's
    /// temp + dist chain (no top-k / top-p): the same inputs for every class, not Agora's sampler.
    static func harnessPrompts(model: String, count: Int, first: Int) async throws {
        let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 1, slots: 1, contextPerSlot: 640,
                                                                    queueCapacity: 8, measureSpeedAtStart: false))
        defer { engine.shutdown() }
        for r in requests(count: count, first: first) {
            guard case .chat(let messages) = r.prompt else { continue }
            let text = try engine.applyChatTemplate(messages)
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
                .replacingOccurrences(of: "\t", with: "\\t")
            let p = r.parameters
            print("\(p.maxTokens)\t\(escaped)\t\(p.temperature)\t\(p.temperature > 0 ? p.seed & 0xFFFF_FFFF : 0)")
        }
    }

    static func produce(model: String, out: String, count: Int, detect: Int, first: Int) async throws {
        let started = Date()
        let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 1, slots: 4, contextPerSlot: 640,
                                                                    queueCapacity: 8 * count + 64, measureSpeedAtStart: false))
        let alone = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 1, slots: 1, contextPerSlot: 640,
                                                                   queueCapacity: 8 * count + 64, measureSpeedAtStart: false))
        say("cross-class produce: \(count) results from request \(first) on \(engine.arithmetic)")
        var rs = requests(count: count, first: first)
        let half = count / 2
        var honest = try await CalibrationBenchmark.generateAll(engine, Array(rs[..<half])).map(\.tokens)
        for r in rs[half...] { honest.append(try await alone.generate(r).tokens) }
        alone.shutdown()
        say("generated \(count) honest results in \(f(Date().timeIntervalSince(started), 1)) s")
        var claims = zip(rs, honest).enumerated().map { i, p in
            Claim(kind: i < half ? "honest-batched" : "honest-alone", request: p.0, tokens: p.1, differs: false)
        }
        var rng = BenchRandom(state: 0xC1A55 &+ UInt64(first))
        let m = min(max(0, detect), count)
        rs = Array(rs[..<m])
        honest = Array(honest[..<m])
        let vocab = Int32(engine.model.vocabularySize)
        var otherPrompts: [GenerationRequest] = [], alteredPrompts: [GenerationRequest] = []
        for (i, (r, t)) in zip(rs, honest).enumerated() {
            var replaced = t
            let at = Int.random(in: 0..<t.count, using: &rng)
            repeat { replaced[at] = Int32.random(in: 0..<vocab, using: &rng) } while replaced[at] == t[at]
            claims.append(Claim(kind: "token-replaced", request: r, tokens: replaced, differs: true))
            if t.count > 1 {
                claims.append(Claim(kind: "truncated", request: r, tokens: Array(t.dropLast(Int.random(in: 1...min(3, t.count - 1), using: &rng))),
                                    differs: true))
            }
            claims.append(Claim(kind: "extended", request: r, tokens: t + [Int32.random(in: 0..<vocab, using: &rng)], differs: true))
            var other = r
            other.prompt = .chat([ChatMessage(role: "user", content: CalibrationBenchmark.prompts[(first + i + 7) % CalibrationBenchmark.prompts.count])])
            otherPrompts.append(other)
            var altered = r
            if case .chat(let m) = r.prompt { altered.prompt = .chat([ChatMessage(role: "user", content: m[0].content + " Answer briefly.")]) }
            alteredPrompts.append(altered)
        }
        // Another prompt's claim is wrong only where that prompt's honest output differs.
        for (kind, others) in [("other-prompt", otherPrompts), ("altered-prompt", alteredPrompts)] {
            let truth = try await CalibrationBenchmark.generateAll(engine, others).map(\.tokens)
            for i in others.indices { claims.append(Claim(kind: kind, request: others[i], tokens: honest[i], differs: truth[i] != honest[i])) }
        }
        let cache = ProcessInfo.processInfo.environment["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")
        // Other models' outputs only when there are tampered claims to make of them.
        for q in m > 0 ? [ModelFile.Quantisation.q8_0, .q4_0, .q5_1] : [] {
            let path = try ModelFile.requantisedCopy(of: model, as: q, threads: 2)
            let other = try await LlamaEngine.load(EngineConfiguration(modelPath: path, threads: 1, slots: 4, contextPerSlot: 640,
                                                                       queueCapacity: 4 * count + 64, measureSpeedAtStart: false))
            let theirs = try await CalibrationBenchmark.generateAll(other, rs).map(\.tokens)
            other.shutdown()
            for i in rs.indices { claims.append(Claim(kind: q.name.lowercased(), request: rs[i], tokens: theirs[i], differs: theirs[i] != honest[i])) }
        }
        let otherModel = ProcessInfo.processInfo.environment["AGORA_OTHER_MODEL"]
            ?? cache + "/other-model/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf"
        if m == 0 {
            // no tampered claims asked for
        } else if FileManager.default.fileExists(atPath: otherModel) {
            let other = try await LlamaEngine.load(EngineConfiguration(modelPath: otherModel, threads: 1, slots: 4, contextPerSlot: 640,
                                                                       queueCapacity: 4 * count + 64, measureSpeedAtStart: false))
            let theirs = try await CalibrationBenchmark.generateAll(other, rs)
            other.shutdown()
            let eog = try engine.tokenize("<|im_end|>", parseSpecial: true)
            for (i, g) in theirs.enumerated() {
                var t = try engine.tokenize(g.text)
                if g.finishReason == .endOfGeneration, eog.count == 1 { t += eog }
                if t.isEmpty { t = eog }
                t = Array(t.prefix(rs[i].parameters.maxTokens))
                claims.append(Claim(kind: "other-model", request: rs[i], tokens: t, differs: t != honest[i]))
            }
        } else {
            say("another model: skipped, \(otherModel) is missing (scripts/fetch-other-model qwen)")
        }
        let file = Claims(producerArithmetic: engine.arithmetic, producerBuild: PortableExact.systemInfo, modelID: engine.model.id,
                          claims: claims)
        engine.shutdown()
        try JSONEncoder().encode(file).write(to: URL(fileURLWithPath: out), options: .atomic)
        say("wrote \(claims.count) claims to \(out) in \(f(Date().timeIntervalSince(started), 1)) s")
    }

    /// A check's verdict, kept for byte-identical claims (`--verdicts`).
    struct Verdict: Codable {
        var passed: Bool
        var exact: Bool
    }

    /// The verdicts one checker build gave, by claim.
    struct VerdictFile: Codable {
        var checkerArithmetic: String
        var checkerBuild: String
        var verdicts: [String: Verdict]
    }

    /// What a check reads of a claim: its request, its tokens and the arithmetic it names.
    static func verdictKey(_ claim: Claim, claimedArithmetic: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let request = String(decoding: try encoder.encode(claim.request), as: UTF8.self)
        return "\(claimedArithmetic)\n\(request)\n\(claim.tokens.map(String.init).joined(separator: ","))"
    }

    static func check(model: String, input: String, verdicts verdictPath: String?, json: Bool) async throws {
        let started = Date()
        let file = try JSONDecoder().decode(Claims.self, from: Data(contentsOf: URL(fileURLWithPath: input)))
        let engine = try await LlamaEngine.load(EngineConfiguration(modelPath: model, threads: 1, slots: 4, contextPerSlot: 640,
                                                                    queueCapacity: file.claims.count + 64, measureSpeedAtStart: false))
        guard engine.model.id == file.modelID else {
            throw ExecutorError(.invalidResult, "the claims are of model \(file.modelID.prefix(16))…, the loaded model is \(engine.model.id.prefix(16))…")
        }
        var known = VerdictFile(checkerArithmetic: engine.arithmetic, checkerBuild: PortableExact.systemInfo, verdicts: [:])
        if let verdictPath, let data = FileManager.default.contents(atPath: verdictPath) {
            let kept = try JSONDecoder().decode(VerdictFile.self, from: data)
            guard kept.checkerArithmetic == known.checkerArithmetic, kept.checkerBuild == known.checkerBuild else {
                throw ExecutorError(.invalidResult, "\(verdictPath) holds another build's verdicts (\(kept.checkerBuild))")
            }
            known = kept
        }
        let keys = try file.claims.map { try verdictKey($0, claimedArithmetic: file.producerArithmetic) }
        // Each distinct claim not yet checked by this build, once.
        var toRun: [Int] = []
        var seen = Set<String>()
        for (i, key) in keys.enumerated() where known.verdicts[key] == nil && seen.insert(key).inserted { toRun.append(i) }
        let outcomes = try await CalibrationBenchmark.verifyAll(engine, toRun.map { (file.claims[$0].request, file.claims[$0].tokens) },
                                                                claimedArithmetic: file.producerArithmetic)
        for (i, v) in zip(toRun, outcomes) { known.verdicts[keys[i]] = Verdict(passed: v.passed, exact: v.report.mode == .exact) }
        var report = Report(producerArithmetic: file.producerArithmetic, checkerArithmetic: engine.arithmetic)
        report.checksRun = toRun.count
        report.verdictsReused = file.claims.count - toRun.count
        for (c, key) in zip(file.claims, keys) {
            guard let v = known.verdicts[key] else { throw ExecutorError(.invalidResult, "no verdict for a claim") }
            if v.exact { report.exactChecks += 1 } else { report.tolerantChecks += 1 }
            if c.kind.hasPrefix("honest") {
                report.honestChecked += 1
                if !v.passed { report.falseRejections += 1 }
                continue
            }
            var d = report.detection[c.kind] ?? Report.Detection()
            d.claims += 1
            if c.differs {
                d.differing += 1
                if !v.passed { d.detected += 1 }
            } else if !v.passed {
                report.falseRejections += 1   // a claim equal to the honest output is correct
            }
            report.detection[c.kind] = d
        }
        engine.shutdown()
        if let verdictPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(known).write(to: URL(fileURLWithPath: verdictPath), options: .atomic)
        }
        report.seconds = Date().timeIntervalSince(started)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        say("checker \(report.checkerArithmetic) ← producer \(report.producerArithmetic)")
        say("RESULT honest: \(report.honestChecked) checked, \(report.falseRejections) false rejections; checks exact \(report.exactChecks), tolerant \(report.tolerantChecks); \(report.checksRun) run, \(report.verdictsReused) verdicts of identical claims reused")
        for (kind, d) in report.detection.sorted(by: { $0.key < $1.key }) {
            say("RESULT detection \(kind): \(d.detected) / \(d.differing) differing claims (\(d.claims - d.differing) equal to the honest output)")
        }
        say("checked \(file.claims.count) claims in \(f(report.seconds, 1)) s")
    }
}
