/// Where the worker thread's time went over a number of decode steps: inside `llama_decode`,
/// and in the engine's own work around it (batch assembly, sampling or checking, detokenising,
/// queue bookkeeping). Benchmarks read it to tell the engine's cost from llama.cpp's.
public struct StepProfile: Sendable, Equatable {
    /// Decode steps (one `llama_decode` each) counted.
    public var steps = 0
    /// Seconds inside `llama_decode`.
    public var decodeSeconds = 0.0
    /// Seconds of the engine's own work in those steps and between consecutive busy steps.
    public var engineSeconds = 0.0

    /// The engine's share of the worker thread's busy time.
    public var engineShare: Double { engineSeconds / max(decodeSeconds + engineSeconds, 1e-12) }
}
