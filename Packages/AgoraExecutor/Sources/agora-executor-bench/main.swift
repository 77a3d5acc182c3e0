import AgoraExecutor
import Foundation

let engine = try await LlamaEngine.load(EngineConfiguration(threads: 2))
print(engine.model)
print(engine.speed as Any)
let r = try await engine.generate(.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 64)))
print(r.text)
print(r.tokens, r.finishReason, r.timings, r.fingerprint)
let v = try await engine.verify(request: .chat("Why is the sky blue?", parameters: .greedy(maxTokens: 64)), claimedTokens: r.tokens)
print(v)
var p = SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, seed: 7, maxTokens: 48)
let r2 = try await engine.generate(.chat("Write a haiku about the sea.", parameters: p))
print(r2.text)
let v2 = try await engine.verify(request: .chat("Write a haiku about the sea.", parameters: p), claimedTokens: r2.tokens)
print(v2)
p.seed = 8
let v3 = try await engine.verify(request: .chat("Write a haiku about the sea.", parameters: p), claimedTokens: r2.tokens)
print(v3)
