import AgoraJob
import AgoraCrypto
import AgoraMarket

extension Sim {
    /// How a simulated provider behaves when it runs a job.
    public enum ProviderBehaviour: String, Sendable, CaseIterable {
        /// Runs the job as asked.
        case honest
        /// Returns the right output with one token altered.
        case alteredOutput
        /// Returns another (cheaper) model's output.
        case otherModel
        /// Runs jobs honestly but keeps two forks of its ledger, appending to each in turn and
        /// signing checkpoints of both (equivocation, Protocol.md §4.6).
        case forkedLedger
    }

    /// A deterministic stand-in for the llama.cpp executor: a model is a hash stream, so
    /// generation and teacher-forced checking are exact and instant to compute.
    public enum FakeEngine {
        /// The simulated network's model.
        public static let model = SHA256.hash(Array("sim-model-a".utf8))
        /// The model a cheating provider really runs.
        public static let cheapModel = SHA256.hash(Array("sim-model-b".utf8))
        /// Vocabulary size (SmolLM2's).
        public static let vocabulary: UInt32 = 49_152

        /// A greedy job of `maxTokens` whose prompt is `prompt` (UTF-8 text).
        public static func request(_ prompt: [UInt8], maxTokens: UInt32) -> GenerationRequest {
            GenerationRequest(prompt: .text(String(decoding: prompt, as: UTF8.self)), parameters: .greedy(maxTokens: Int(maxTokens)))
        }

        /// The tokens `model` generates for `request` (its prompt's bytes, its max tokens).
        public static func generate(model: Digest, request: GenerationRequest, maxTokens: UInt32? = nil) -> [UInt32] {
            let bytes: [UInt8]
            switch request.prompt {
            case .text(let t): bytes = Array(t.utf8)
            default: bytes = request.wireBytes
            }
            return generate(model: model, prompt: bytes, maxTokens: maxTokens ?? UInt32(request.parameters.maxTokens))
        }

        /// The tokens `model` generates for `prompt`.
        public static func generate(model: Digest, prompt: [UInt8], maxTokens: UInt32) -> [UInt32] {
            var out: [UInt32] = []
            out.reserveCapacity(Int(maxTokens))
            var block: UInt32 = 0
            while out.count < Int(maxTokens) {
                let h = SHA256.hash(parts: [model.bytes, prompt, [UInt8(block >> 8 & 0xff), UInt8(block & 0xff)]]).bytes
                var k = 0
                while k < 32, out.count < Int(maxTokens) {
                    out.append((UInt32(h[k]) << 8 | UInt32(h[k + 1])) % vocabulary)
                    k += 2
                }
                block += 1
            }
            return out
        }

        /// The text of `tokens` ("t123 t45 …").
        public static func text(_ tokens: [UInt32]) -> [UInt8] {
            Array(tokens.map { "t\($0)" }.joined(separator: " ").utf8)
        }

        /// What a provider with `behaviour` returns for `spec`.
        public static func run(_ spec: Market.JobSpec, behaviour: ProviderBehaviour, random: inout Market.Random) -> [UInt32] {
            switch behaviour {
            case .honest, .forkedLedger:
                return generate(model: spec.modelID, request: spec.request)
            case .alteredOutput:
                var t = generate(model: spec.modelID, request: spec.request)
                if !t.isEmpty {
                    let i = random.below(t.count)
                    t[i] = (t[i] + 1 + UInt32(random.below(100))) % vocabulary
                }
                return t
            case .otherModel:
                return generate(model: cheapModel, request: spec.request)
            }
        }

        /// The teacher-forced check: every claimed token must be the model's, and the text
        /// must be the tokens' text.
        public static func check(_ spec: Market.VerificationSpec) -> Market.Attestation.Verdict {
            let expected = generate(model: spec.modelID, request: spec.request, maxTokens: UInt32(spec.tokens.count))
            for (i, pair) in zip(expected, spec.tokens).enumerated() where pair.0 != pair.1 {
                return .fail(.tokenMismatch, position: UInt32(i))
            }
            return text(spec.tokens) == spec.text ? .pass : .fail(.invalidResult, position: 0)
        }
    }
}
