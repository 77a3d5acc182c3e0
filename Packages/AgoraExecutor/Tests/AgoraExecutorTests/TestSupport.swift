import Foundation
import Testing
@testable import AgoraExecutor

/// Every suite that runs the real model nests in this one, so they run one at a time
/// (they share engines and the machine's cores).
@Suite("Executor on the real model", .serialized)
struct ExecutorTests {}

/// Engines on the real default model, shared by the tests (loading is cheap: the file is mapped).
actor Engines {
    static let shared = Engines()
    private var cache: [String: LlamaEngine] = [:]

    func engine(threads: Int = 1, slots: Int = 4, queue: Int = 16, context: Int = 1024,
                ownOutputLayer: Bool = true, kernel: OutputLayerKernel = .automatic) async throws -> LlamaEngine {
        let key = "\(threads)/\(slots)/\(queue)/\(context)/\(ownOutputLayer)/\(kernel)"
        if let e = cache[key] { return e }
        let e = try await LlamaEngine.load(EngineConfiguration(
            threads: threads, slots: slots, contextPerSlot: context, queueCapacity: queue, measureSpeedAtStart: false,
            ownOutputLayer: ownOutputLayer, outputLayerKernel: kernel))
        cache[key] = e
        return e
    }
}

/// The bootstrap's model; tests fail with a clear message if it is missing.
let modelPath = EngineConfiguration.defaultModelPath

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "agora-exec-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Short prompts used across the tests.
let samplePrompts = [
    "Why is the sky blue?", "Name three fruits.", "What is the capital of France?", "Give me a tip for sleeping well.",
    "Write one sentence about cats.", "What is 2 plus 2?", "Describe the sea in a few words.", "How do plants grow?",
]

/// Expects `body` to throw an `ExecutorError` with `code`.
func expectError<T>(_ code: ExecutorError.Code, _ body: () async throws -> T,
                    sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let e as ExecutorError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
        #expect(!e.context.isEmpty, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ExecutorError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
