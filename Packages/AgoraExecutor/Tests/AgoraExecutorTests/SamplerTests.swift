import Testing
@testable import AgoraExecutor

@Suite("Sampler and text assembly (pure)")
struct SamplerTests {
    @Test("Gumbel noise is a pure function of seed, position and token")
    func noiseIsPure() {
        let a = Sampler.gumbel(seed: 1, position: 2, token: 3)
        #expect(a == Sampler.gumbel(seed: 1, position: 2, token: 3))
        #expect(a != Sampler.gumbel(seed: 2, position: 2, token: 3))
        #expect(a != Sampler.gumbel(seed: 1, position: 3, token: 3))
        #expect(a.isFinite)
    }

    @Test("greedy picks the arg-max; the check measures the margin a token needs")
    func greedyCheck() {
        let logits: [Float] = [0.5, 3.0, 2.9, -4]
        logits.withUnsafeBufferPointer { l in
            let p = SamplingParameters.greedy()
            #expect(Sampler.choose(l, p, position: 0) == 1)
            #expect(Sampler.check(l, p, position: 0, claimed: 1) == .init(neededMargin: 0, exact: true))
            let near = Sampler.check(l, p, position: 0, claimed: 2)
            #expect(abs(near.neededMargin - 0.1) < 1e-5 && !near.exact)
            #expect(Sampler.check(l, p, position: 0, claimed: 3).neededMargin == 7)
            #expect(Sampler.check(l, p, position: 0, claimed: 9).neededMargin == .infinity)
        }
    }

    @Test("sampling chooses within top-k, and the chosen token checks with zero margin")
    func sampledCheck() {
        var logits = [Float](repeating: -10, count: 1000)
        for i in 0..<50 { logits[i] = Float(50 - i) / 10 }
        logits.withUnsafeBufferPointer { l in
            for seed in UInt64(0)..<200 {
                let p = SamplingParameters(temperature: 1.0, topK: 5, topP: 1, seed: seed, maxTokens: 8)
                let t = Sampler.choose(l, p, position: Int(seed % 7))
                #expect(t < 5)
                let c = Sampler.check(l, p, position: Int(seed % 7), claimed: t)
                #expect(c.exact && c.neededMargin == 0)
                #expect(Sampler.check(l, p, position: Int(seed % 7), claimed: 40).neededMargin > 3)
            }
        }
    }

    /// The unsorted, hash-skipping choice (`gumbelMax`) is the choice of scoring every
    /// candidate: over a vocabulary's worth of logits shaped like a model's (a few likely
    /// tokens, a long tail, ties), many seeds, positions and temperatures.
    @Test("without top-k and top-p, the choice equals scoring every candidate")
    func unsortedChoiceIsTheReference() {
        var rng = SystemRandomNumberGenerator()
        var skippedSome = false
        for round in 0..<24 {
            let n = 2_000 + round * 500
            var logits = (0..<n).map { _ in Float.random(in: -12...6, using: &rng) }
            for i in 0..<8 { logits[Int.random(in: 0..<n, using: &rng)] = Float(10 + i % 3) }  // ties at the top
            let temperatures = [0.05, 0.3, 0.7, 1.0, 1.5, 2.0]
            logits.withUnsafeBufferPointer { l in
                for (k, t) in temperatures.enumerated() {
                    let p = SamplingParameters(temperature: t, topK: 0, topP: 1, seed: UInt64(round * 31 + k), maxTokens: 8)
                    for position in 0..<6 {
                        let maxLogit = l.max()!
                        let floor = maxLogit - Sampler.candidateWindow * Float(t)
                        var best: Int32 = -1, bestScore = -Double.infinity
                        for i in 0..<n where l[i] >= floor {
                            let s = Double(l[i]) + t * Sampler.gumbel(seed: p.seed, position: position, token: Int32(i))
                            if s > bestScore || (s == bestScore && Int32(i) < best) { best = Int32(i); bestScore = s }
                        }
                        #expect(Sampler.gumbelMax(l, p, position: position) == best, "n \(n) T \(t) position \(position)")
                        #expect(Sampler.choose(l, p, position: position) == best)
                        skippedSome = skippedSome || l.contains { Double(maxLogit - $0) > Sampler.skipGap * t + 8 }
                    }
                }
            }
        }
        #expect(skippedSome, "no candidate was far enough below the best to be passed over")
    }

    @Test("text accumulation holds back split UTF-8 and stop-sequence prefixes")
    func textAccumulator() {
        var acc = TextAccumulator(stop: ["END"])
        let e = Array("é".utf8)
        #expect(acc.append([UInt8(ascii: "a"), e[0]]) == "a")
        #expect(acc.append([e[1]]) == "é")
        #expect(acc.append(Array(" E".utf8)) == " ")
        #expect(acc.append(Array("N".utf8)) == "")
        #expect(acc.append(Array("Dx".utf8)) == "")
        #expect(acc.stopAt != nil)
        #expect(acc.text == "aé ")
        var plain = TextAccumulator(stop: [])
        #expect(plain.append(Array("hello".utf8)) == "hello")
        #expect(plain.flush() == "")
    }
}
