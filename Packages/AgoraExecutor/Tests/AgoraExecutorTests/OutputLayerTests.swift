import COutputLayer
import Foundation
import Testing
@testable import AgoraExecutor

/// The engine's own output layer (`OutputLayer`, `COutputLayer`): its kernel against the
/// scalar reference (no model), and its verdicts against llama.cpp's logits (real model).
@Suite("Output layer kernel")
struct OutputLayerKernelTests {
    /// Random Q8_0 weights (every byte value, -128 included) and hidden rows.
    private func randomInputs(rows: Int, positions: Int, blocks: Int, seed: UInt64)
        -> (w: [agora_block_q8_0], h: [agora_block_q8_0]) {
        var rng = SplitMix64(state: seed)
        var w = [agora_block_q8_0](repeating: agora_block_q8_0(), count: rows * blocks)
        for i in w.indices {
            w[i].d = UInt16.random(in: 0x1C00...0x2C00, using: &rng)  // fp16 scales 2^-8 … 2^-4
            withUnsafeMutableBytes(of: &w[i].qs) { b in for k in 0..<32 { b[k] = UInt8.random(in: 0...255, using: &rng) } }
        }
        let x = (0..<(positions * blocks * 32)).map { _ in Float.random(in: -6...6, using: &rng) }
        var h = [agora_block_q8_0](repeating: agora_block_q8_0(), count: positions * blocks)
        agora_q8_0_quantize(x, Int64(positions), Int64(blocks * 32), &h)
        return (w, h)
    }

    /// 18 blocks is the default model's 576 dimensions; the kernel takes blocks in chunks of 64,
    /// so 66 ends on a partial chunk and 128 on two full ones.
    @Test("the AVX2 and AVX-512 VNNI kernels give the scalar reference's exact bits at every edge of their tiling",
          arguments: [Int32(AGORA_KERNEL_AVX2), Int32(AGORA_KERNEL_AVX512_VNNI)], [18, 66, 128])
    func kernelMatchesReference(kernel: Int32, blocks: Int) throws {
        try #require(agora_output_layer_best_kernel() >= kernel, "this test needs a CPU that runs kernel \(kernel) (the CI machine kind runs both)")
        let rows = 203, positions = 13
        let (w, h) = randomInputs(rows: rows, positions: positions, blocks: blocks, seed: UInt64(11 + blocks))
        var cases = 0
        for n in 1...positions {
            for (lo, hi) in [(0, rows), (3, rows - 1), (64, 130), (5, 6)] {
                var ref = [Float](repeating: .nan, count: n * rows)
                var fast = [Float](repeating: .nan, count: n * rows)
                #expect(agora_q8_0_logits(w, Int64(lo), Int64(hi), Int64(blocks), h, Int64(n), &ref, Int64(rows), 0) == 0)
                #expect(agora_q8_0_logits(w, Int64(lo), Int64(hi), Int64(blocks), h, Int64(n), &fast, Int64(rows), kernel) == 0)
                for p in 0..<n {
                    for r in lo..<hi {
                        let a = ref[p * rows + r], b = fast[p * rows + r]
                        #expect(a.bitPattern == b.bitPattern, "row \(r) position \(p) of \(n): \(a) vs \(b)")
                        #expect(!a.isNaN)
                    }
                    // Rows outside the range are left alone.
                    if lo > 0 { #expect(fast[p * rows].isNaN) }
                }
                cases += 1
            }
        }
        #expect(cases == 52)
    }

    @Test("the arg-max pass finds each position's largest logit, its row (ties: lower row) and the claimed logit")
    func argmaxMatchesLogits() throws {
        let rows = 203, blocks = 18, positions = 9
        var w = randomInputs(rows: rows, positions: 1, blocks: blocks, seed: 5).w
        var h = [agora_block_q8_0](repeating: agora_block_q8_0(), count: positions * blocks)
        // Rows 40 and 170 identical and, against all-positive hidden rows, larger than any other.
        for r in [40, 170] {
            for b in 0..<blocks {
                w[r * blocks + b].d = 0x3C00
                withUnsafeMutableBytes(of: &w[r * blocks + b].qs) { q in for k in 0..<32 { q[k] = 127 } }
            }
        }
        let x = (0..<(positions * blocks * 32)).map { Float($0 % 7 + 1) }
        agora_q8_0_quantize(x, Int64(positions), Int64(blocks * 32), &h)
        for fast in [Int32(AGORA_KERNEL_REFERENCE), Int32(AGORA_KERNEL_AVX2), Int32(AGORA_KERNEL_AVX512_VNNI)]
        where fast <= agora_output_layer_best_kernel() {
            var logits = [Float](repeating: 0, count: positions * rows)
            _ = agora_q8_0_logits(w, 0, Int64(rows), Int64(blocks), h, Int64(positions), &logits, Int64(rows), fast)
            let claimed = (0..<positions).map { Int32($0 * 17 % rows) }
            var best = [Int32](repeating: 0, count: positions), value = [Float](repeating: 0, count: positions)
            var claimedValue = [Float](repeating: .nan, count: positions)
            #expect(agora_q8_0_argmax(w, 0, Int64(rows), Int64(blocks), h, Int64(positions), claimed, &best, &value, &claimedValue, fast) == 0)
            for p in 0..<positions {
                #expect(best[p] == 40, "position \(p): arg-max \(best[p]), fast \(fast)")
                #expect(value[p].bitPattern == logits[p * rows + 40].bitPattern)
                #expect(claimedValue[p].bitPattern == logits[p * rows + Int(claimed[p])].bitPattern)
            }
            // A range without the tied rows: the largest of the rest, and claimed logits only in range.
            var sub = [Int32](repeating: 0, count: positions), subValue = value, subClaimed = [Float](repeating: .nan, count: positions)
            _ = agora_q8_0_argmax(w, 41, 170, Int64(blocks), h, Int64(positions), claimed, &sub, &subValue, &subClaimed, fast)
            for p in 0..<positions {
                let range = 41..<170
                let expected = range.max { logits[p * rows + $0] < logits[p * rows + $1] || (logits[p * rows + $0] == logits[p * rows + $1] && $0 > $1) }!
                #expect(Int(sub[p]) == expected)
                #expect(range.contains(Int(claimed[p])) ? !subClaimed[p].isNaN : subClaimed[p].isNaN)
            }
        }
    }

    @Test("quantisation rounds half to even and scales by max/127, as ggml's x86 quantize_row_q8_0")
    func quantisationMatchesGgml() {
        var x = [Float](repeating: 0, count: 32)
        x[0] = 127; x[1] = 2.5; x[2] = 3.5; x[3] = -2.5; x[4] = -126.5; x[5] = 0.49
        var out = [agora_block_q8_0](repeating: agora_block_q8_0(), count: 1)
        agora_q8_0_quantize(x, 1, 32, &out)
        let q = withUnsafeBytes(of: out[0].qs) { Array($0.prefix(6)).map { Int8(bitPattern: $0) } }
        #expect(q == [127, 2, 4, -2, -126, 0])
        #expect(out[0].d == 0x3C00)  // fp16 1.0 = 127 / 127
        var zero = [Float](repeating: 0, count: 32)
        zero[7] = -0.0
        agora_q8_0_quantize(zero, 1, 32, &out)
        #expect(out[0].d == 0)
        #expect(withUnsafeBytes(of: out[0].qs) { $0.allSatisfy { $0 == 0 } })
    }
}

extension ExecutorTests {
@Suite("Output layer on the real model")
struct OutputLayerModelTests {
    @Test("the engine's output layer passes its start-up check here, and every verdict and margin equals llama.cpp's own")
    func verdictsEqualLlama() async throws {
        let own = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64)
        let theirs = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64, ownOutputLayer: false)
        let split = try await Engines.shared.engine(threads: 2, slots: 4, queue: 64)
        let avx2 = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64, kernel: .avx2)
        print("verification output layer: \(own.verificationOutputLayer) / \(avx2.verificationOutputLayer) / \(theirs.verificationOutputLayer)")
        #expect(theirs.verificationOutputLayer.hasPrefix("llama.cpp"))
        if agora_output_layer_best_kernel() == Int32(AGORA_KERNEL_AVX512_VNNI) {
            #expect(own.verificationOutputLayer.hasPrefix("engine kernel (AVX-512 VNNI"), "\(own.verificationOutputLayer)")
        }
        if agora_output_layer_best_kernel() >= Int32(AGORA_KERNEL_AVX2) {
            #expect(avx2.verificationOutputLayer.hasPrefix("engine kernel (AVX2"), "\(avx2.verificationOutputLayer)")
        }
        let requests = honestRequests(maxTokens: 16).enumerated().filter { $0.offset % 8 == 0 || $0.offset % 8 == 5 }.map(\.element)
        let results = try await generateBatched(own, requests)
        var rng = SplitMix64(state: 99)
        var compared = 0, failed = 0
        for (r, result) in zip(requests, results) {
            var replaced = result.tokens
            let at = Int.random(in: 0..<replaced.count, using: &rng)
            replaced[at] = (replaced[at] + 1) % Int32(own.model.vocabularySize)
            for claim in [result.tokens, replaced, Array(result.tokens.dropLast())] {
                // Tolerant mode (no claimed arithmetic): margins are real logit differences, so
                // equal margins mean equal logits at every deciding token.
                for arithmetic in [own.arithmetic, nil] as [String?] {
                    let a = try await own.verify(request: r, claimedTokens: claim, claimedArithmetic: arithmetic)
                    let b = try await theirs.verify(request: r, claimedTokens: claim, claimedArithmetic: arithmetic)
                    // 2 threads: the vocabulary is split in two parts whose arg-maxes are merged.
                    let c = try await split.verify(request: r, claimedTokens: claim, claimedArithmetic: arithmetic)
                    let d = try await avx2.verify(request: r, claimedTokens: claim, claimedArithmetic: arithmetic)
                    for x in [a, c, d] {
                        #expect(x.passed == b.passed)
                        #expect(x.report.largestMargin.bitPattern == b.report.largestMargin.bitPattern,
                                "\(x.report.largestMargin) vs \(b.report.largestMargin)")
                        #expect(x.report.inexactPositions == b.report.inexactPositions)
                        if case .fail(let px, _, _) = x, case .fail(let pb, _, _) = b { #expect(px == pb) }
                    }
                    compared += 1
                    if !a.passed { failed += 1 }
                }
            }
            #expect(try await own.verify(request: r, claimedTokens: result.tokens, claimedArithmetic: own.arithmetic).passed)
        }
        print("verdicts compared: \(compared), of which failing: \(failed)")
        #expect(compared == requests.count * 6)
        #expect(failed >= requests.count * 2)
    }

    @Test("a verification longer than one 512-token micro-batch is captured across micro-batches")
    func longVerification() async throws {
        let own = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64)
        let theirs = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64, ownOutputLayer: false)
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 55)
        let r = GenerationRequest.chat(long + "Summarise.", parameters: .greedy(maxTokens: 40))
        let result = try await own.generate(r)
        #expect(result.promptTokens.count > 512, "the prompt must fill more than one micro-batch")
        for claim in [result.tokens, Array(result.tokens.dropFirst())] {
            let a = try await own.verify(request: r, claimedTokens: claim, claimedArithmetic: nil)
            let b = try await theirs.verify(request: r, claimedTokens: claim, claimedArithmetic: nil)
            #expect(a.passed == b.passed)
            #expect(a.report.largestMargin.bitPattern == b.report.largestMargin.bitPattern)
        }
        #expect(try await own.verify(request: r, claimedTokens: result.tokens, claimedArithmetic: own.arithmetic).passed)
    }

    @Test("verifications and generations share the engine: each gets its steps, and every result is unchanged")
    func mixedWithGeneration() async throws {
        let own = try await Engines.shared.engine(threads: 1, slots: 4, queue: 64)
        let gens = [GenerationRequest.chat(samplePrompts[0], parameters: .greedy(maxTokens: 48)),
                    GenerationRequest.chat(samplePrompts[1], parameters: .greedy(maxTokens: 48))]
        let checks = [GenerationRequest.chat(samplePrompts[2], parameters: .greedy(maxTokens: 24)),
                      GenerationRequest.chat(samplePrompts[3], parameters: .greedy(maxTokens: 24))]
        var alone: [GenerationResult] = []
        for r in gens + checks { alone.append(try await own.generate(r)) }
        // Two generations and, while they run, four verifications (two honest, two tampered).
        async let g0 = own.generate(gens[0])
        async let g1 = own.generate(gens[1])
        var verdicts: [Bool] = []
        for (k, r) in checks.enumerated() {
            let honest = alone[2 + k].tokens
            verdicts.append(try await own.verify(request: r, claimedTokens: honest, claimedArithmetic: own.arithmetic).passed)
            verdicts.append(try await own.verify(request: r, claimedTokens: Array(honest.reversed()), claimedArithmetic: own.arithmetic).passed)
        }
        let (r0, r1) = try await (g0, g1)
        #expect(verdicts == [true, false, true, false])
        #expect(r0.tokens == alone[0].tokens)
        #expect(r1.tokens == alone[1].tokens)
    }
}
}
