import CLlama
import Foundation

/// The one thread of the process that runs llama.cpp's graph computations (`llama_decode`)
/// for every engine. ggml parallelises a computation with OpenMP, and libgomp keeps a team of
/// helper threads for each thread that starts parallel work: with one llama worker per model,
/// a node serving two models had two teams, more OpenMP threads than cores, and libgomp then
/// sends waiting threads to sleep at every barrier (its "throttled" spinning). Each of
/// ggml's per-operation barriers became a futex wake-up, and decoding with another model
/// merely loaded ran at 0.2–0.56× of llama-bench (BENCHMARKS.md). Run from this one thread,
/// all engines share one team; their steps take turns, as they would for the cores anyway.
/// The arithmetic is unchanged: the same kernels with the same thread count.
final class ComputeThread: @unchecked Sendable {
    // Safety: `work` is guarded by `condition`; each item runs on the compute thread while
    // its caller waits for it, so what it touches is the caller's, handed over and back.
    static let shared = ComputeThread()

    /// One computation handed to the thread; `body` is dropped before `done` is signalled,
    /// so nothing of the caller's outlives its call.
    private final class Item {
        var body: (() -> Void)?
        let done = DispatchSemaphore(value: 0)
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private let condition = NSCondition()
    private var work: [Item] = []
    private var computeThread: pthread_t?

    private init() {
        let t = Thread { [self] in
            condition.lock()
            computeThread = pthread_self()
            condition.broadcast()
            condition.unlock()
            loop()
        }
        t.name = "agora-compute"
        t.stackSize = 8 << 20
        t.start()
        condition.lock()
        while computeThread == nil { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while work.isEmpty { condition.wait() }
            let next = work.removeFirst()
            condition.unlock()
            next.body?()
            next.body = nil
            next.done.signal()
        }
    }

    /// Runs `body` on the compute thread and returns its result once it is done.
    func run<T>(_ body: () -> T) -> T {
        if let t = computeThread, pthread_equal(t, pthread_self()) != 0 { return body() }
        return withoutActuallyEscaping(body) { body in
            var result: T?
            let item = Item { result = body() }
            condition.lock()
            work.append(item)
            condition.signal()
            condition.unlock()
            item.done.wait()
            // `result` was written before `signal`, read after `wait`: ordered by the semaphore.
            guard let result else { preconditionFailure("the compute thread returned nothing") }
            return result
        }
    }

    /// `llama_decode` on the compute thread.
    static func decode(_ context: OpaquePointer, _ batch: llama_batch) -> Int32 {
        shared.run { llama_decode(context, batch) }
    }
}
