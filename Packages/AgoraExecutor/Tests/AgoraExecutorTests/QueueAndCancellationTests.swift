import Foundation
import Synchronization
import Testing
@testable import AgoraExecutor

extension ExecutorTests {
@Suite("Queue and cancellation")
struct QueueAndCancellationTests {
    @Test("a full queue refuses at once with queueFull, and the engine keeps serving")
    func fullQueue() async throws {
        let engine = try await Engines.shared.engine(threads: 1, slots: 1, queue: 1)
        let long = GenerationRequest.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 64))
        let (started, signal) = AsyncStream<Void>.makeStream()
        let first = try engine.start(long) { _ in signal.yield() }
        for await _ in started { break }  // the first job holds the only slot
        let second = try engine.start(long)  // waits in the queue of one
        let clock = ContinuousClock()
        let t0 = clock.now
        await expectError(.queueFull) { try engine.start(long) }
        #expect(clock.now - t0 < .milliseconds(100))
        first.cancel()
        second.cancel()
        #expect(try await first.result().finishReason == .cancelled)
        await expectError(.cancelled) { try await second.result() }
        let after = try await engine.generate(.chat("Name three fruits.", parameters: .greedy(maxTokens: 4)))
        #expect(after.tokens.count == 4)
    }

    @Test("a job submitted the moment a 1-slot worker with no queue exists gets the free slot")
    func firstJobTakesTheFreeSlot() throws {
        // The worker thread starts at the end of `init`; a job submitted before it has run
        // must still see the free slot (this raced, and `agora generate` failed with queueFull).
        let config = EngineConfiguration(threads: 1, slots: 1, contextPerSlot: 256, queueCapacity: 0,
                                         measureSpeedAtStart: false)
        let model = try LlamaModel(path: config.modelPath, contextLength: config.contextPerSlot)
        for _ in 0..<20 {
            let worker = try LlamaWorker(model: model, configuration: config)
            defer { worker.stop() }
            let done = DispatchSemaphore(value: 0)
            let job = Job(kind: .generate(onToken: nil, ignoreEndOfGeneration: false), prompt: try model.tokenize("Hi", addSpecial: true, parseSpecial: false),
                          parameters: .greedy(maxTokens: 1)) { _ in done.signal() }
            do {
                try worker.submit(job)
                done.wait()
            } catch {
                Issue.record("the first job was refused: \(error)")
            }
        }
    }

    @Test("cancellation stops a job within one token")
    func cancelWithinOneToken() async throws {
        let engine = try await Engines.shared.engine(threads: 1, slots: 2)
        let seen = Mutex(0)
        let (signal, cont) = AsyncStream<Int>.makeStream()
        let handle = try engine.start(.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 200))) { _ in
            let n = seen.withLock { $0 += 1; return $0 }
            cont.yield(n)
        }
        for await n in signal where n >= 3 { break }
        let atCancel = seen.withLock { $0 }
        handle.cancel()
        let r = try await handle.result()
        #expect(r.finishReason == .cancelled)
        #expect(r.tokens.count <= atCancel + 1, "generated \(r.tokens.count) tokens, \(atCancel) when cancelled")
    }

    @Test("cancelling the calling task throws cancelled; ending a stream cancels its job")
    func taskCancellation() async throws {
        let engine = try await Engines.shared.engine(threads: 1, slots: 2)
        let task = Task { try await engine.generate(.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 300))) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await expectError(.cancelled) { try await task.value }
        var count = 0
        for try await event in try engine.stream(.chat("Why is the sky blue?", parameters: .greedy(maxTokens: 300))) {
            if case .token = event { count += 1 }
            if count == 2 { break }
        }
        let next = try await engine.generate(.chat("Name three fruits.", parameters: .greedy(maxTokens: 4)))
        #expect(next.tokens.count == 4)
    }

    @Test("concurrent jobs decode together and each matches the greedy tokens it would get alone, or verifies")
    func concurrentJobs() async throws {
        let engine = try await Engines.shared.engine(threads: 1, slots: 4)
        let requests = samplePrompts.prefix(4).map { GenerationRequest.chat($0, parameters: .greedy(maxTokens: 12)) }
        let results = try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
            for (i, r) in requests.enumerated() { group.addTask { (i, try await engine.generate(r)) } }
            var out: [Int: GenerationResult] = [:]
            for try await (i, r) in group { out[i] = r }
            return out
        }
        for (i, request) in requests.enumerated() {
            let r = try #require(results[i])
            #expect(r.tokens.count == 12 || r.finishReason == .endOfGeneration)
            let verdict = try await engine.verify(request: request, claimedTokens: r.tokens)
            #expect(verdict.passed, "\(verdict)")
        }
    }
}
}
