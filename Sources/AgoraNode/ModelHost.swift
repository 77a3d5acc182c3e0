import AgoraCrypto
import Foundation
import AgoraExecutor
import Synchronization

/// One model this node serves: its engine and how it is offered.
public struct HostedModel: Sendable {
    /// Model id: SHA-256 of the GGUF file.
    public let id: Digest
    /// The loaded engine (its own slots, context and worker thread; weights mmapped).
    public let engine: LlamaEngine
    /// Asking price, credits per 1,000 tokens.
    public let pricePer1kTokens: UInt64
    /// Memory the model was admitted with, estimated before loading: weights, KV caches,
    /// llama.cpp's compute and output buffers and the rest (`MemoryEstimate`).
    public let memory: MemoryEstimate
    /// True once removal began: its held jobs and checks finish, nothing new is taken.
    public internal(set) var removing = false

    /// The readable name.
    public var name: String { engine.model.name }
    /// Jobs run at once.
    public var slots: Int { engine.configuration.slots }
}

/// The models a node holds, in the order they were loaded, and its memory budget: the one
/// owner of which engine serves which model id. Safe from any thread; loading happens
/// outside the lock, with the memory reserved first so two concurrent additions cannot
/// both fit into the same room.
final class ModelHost: Sendable {
    private struct State {
        var models: [HostedModel] = []
        /// Memory reserved by models being loaded, by model id.
        var loading: [Digest: UInt64] = [:]
        /// Busy time of engines already removed.
        var removedBusy = BusyTime()
    }

    private let state = Mutex(State())
    /// The most memory all models together may take; nil: unlimited.
    let budget: UInt64?

    init(budget: UInt64?) { self.budget = budget }

    /// Every model, in load order (those being removed included).
    var models: [HostedModel] { state.withLock { $0.models } }

    /// Models taking new work, in load order.
    var serving: [HostedModel] { models.filter { !$0.removing } }

    /// The engine of `id` (also while it is being removed: its held work runs on it).
    func engine(for id: Digest) -> LlamaEngine? { state.withLock { s in s.models.first { $0.id == id }?.engine } }

    /// The model a user means by `name`: its readable name, an alias of its file, its id or
    /// an id prefix (8+ hex digits), ignoring case.
    func find(_ name: String) -> HostedModel? {
        let n = name.lowercased()
        return models.first { m in
            m.name.lowercased() == n || m.engine.model.aliases.contains(n) || m.id.hex == n || (n.count >= 8 && m.id.hex.hasPrefix(n))
        }
    }

    /// Reserves `bytes` for model `id` before it loads. Throws `model` when it is already
    /// loaded or loading, and `memoryBudget` when it would not fit, naming what is loaded.
    func reserve(_ id: Digest, bytes: UInt64, path: String) throws(NodeError) {
        try state.withLock { s throws(NodeError) in
            if let m = s.models.first(where: { $0.id == id }) {
                throw NodeError(.modelExists, "\(path) is already served here as \(m.name)\(m.removing ? " (being removed; add it again once it is gone)" : "")")
            }
            guard s.loading[id] == nil else { throw NodeError(.modelExists, "\(path) is already being loaded") }
            if let budget {
                let used = s.models.reduce(UInt64(0)) { $0 + $1.memory.total } + s.loading.values.reduce(0, +)
                guard used + bytes <= budget else {
                    let loaded = s.models.map { "\($0.name) (\(Self.format($0.memory.total)))" }
                    let what = loaded.isEmpty ? "nothing is loaded" : "loaded: " + loaded.joined(separator: ", ")
                    throw NodeError(.memoryBudget, "\(path) needs about \(Self.format(bytes)) (weights and KV cache), but only \(Self.format(budget > used ? budget - used : 0)) of the node's memory budget of \(Self.format(budget)) is free; \(what). Remove a model (`agora models remove NAME`), lower its slots or context, or raise --memory.")
                }
            }
            s.loading[id] = bytes
        }
    }

    /// Ends a reservation that did not load.
    func release(_ id: Digest) { state.withLock { _ = $0.loading.removeValue(forKey: id) } }

    /// Adds a loaded model (ending its reservation).
    func insert(_ model: HostedModel) {
        state.withLock { s in
            s.loading[model.id] = nil
            s.models.append(model)
        }
    }

    /// Marks `id` as being removed; false when it is not here or already being removed.
    func markRemoving(_ id: Digest) -> Bool {
        state.withLock { s in
            guard let i = s.models.firstIndex(where: { $0.id == id }), !s.models[i].removing else { return false }
            s.models[i].removing = true
            return true
        }
    }

    /// Takes `id` out (the caller shuts its engine down).
    func remove(_ id: Digest) -> HostedModel? {
        state.withLock { s in
            guard let i = s.models.firstIndex(where: { $0.id == id }) else { return nil }
            let m = s.models.remove(at: i)
            s.removedBusy.add(m.engine.busyTime())
            return m
        }
    }

    /// Busy time of every engine this host ever held (generating, checking).
    func busyTime() -> BusyTime {
        state.withLock { s in
            s.models.reduce(into: s.removedBusy) { t, m in t.add(m.engine.busyTime()) }
        }
    }

    /// Shuts every engine down (node shutdown).
    func shutdownAll() {
        let all = state.withLock { s in
            defer { s.models = [] }
            for m in s.models { s.removedBusy.add(m.engine.busyTime()) }
            return s.models
        }
        for m in all { m.engine.shutdown() }
    }

    /// `1.2 GiB`, `340 MiB`.
    static func format(_ bytes: UInt64) -> String {
        let mib = Double(bytes) / 1_048_576
        return mib >= 1024 ? String(format: "%.1f GiB", mib / 1024) : String(format: "%.0f MiB", mib)
    }
}
