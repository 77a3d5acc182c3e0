import Foundation

/// Speeds measured on this machine, kept between starts so that a node restarting with a
/// model it has served before advertises it at once instead of measuring again (a second or
/// three per model, more while other nodes start beside it). One JSON file, by default
/// `$AGORA_CACHE/speeds.json`, keyed by model id, llama.cpp build, arithmetic class and
/// thread count; each field keeps the fastest measurement seen, since a measurement taken
/// while the machine was busy (several nodes starting at once) can only understate.
/// Deleting the file makes every model measure again.
public struct SpeedCache: Sendable {
    /// The JSON file.
    public let path: String

    /// A cache kept in `path`.
    public init(path: String) { self.path = path }

    /// `$AGORA_CACHE/speeds.json` (`~/.cache/agora/speeds.json` by default).
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        return (env["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")) + "/speeds.json"
    }

    /// The key of a model's speed on this build and machine at `threads` threads.
    static func key(modelID: String, threads: Int) -> String {
        "\(modelID) | \(LlamaBackend.build) | \(LlamaWorker.nativeArithmetic) | threads=\(threads)"
    }

    /// The cached speed of `modelID` at `threads` threads; nil when none was measured (or
    /// the file is unreadable: the model is then measured again).
    public func speed(modelID: String, threads: Int) -> SpeedProfile? {
        read()[Self.key(modelID: modelID, threads: threads)]
    }

    /// Records a measurement, keeping the faster of it and the one cached. Best effort: a file
    /// that cannot be written only costs a measurement at the next start.
    public func record(_ speed: SpeedProfile, modelID: String) {
        var all = read()
        let key = Self.key(modelID: modelID, threads: speed.threads)
        var kept = all[key] ?? speed
        kept.prefillTokensPerSecond = max(kept.prefillTokensPerSecond, speed.prefillTokensPerSecond)
        kept.decodeTokensPerSecond = max(kept.decodeTokensPerSecond, speed.decodeTokensPerSecond)
        all[key] = kept
        guard let data = try? JSONEncoder().encode(all) else { return }
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Written to a file of its own and renamed: nodes starting together never read half a file.
        let tmp = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else { return }
        if rename(tmp, path) != 0 { try? FileManager.default.removeItem(atPath: tmp) }
    }

    private func read() -> [String: SpeedProfile] {
        guard let data = FileManager.default.contents(atPath: path),
              let all = try? JSONDecoder().decode([String: SpeedProfile].self, from: data) else { return [:] }
        return all.filter { $0.value.prefillTokensPerSecond.isFinite && $0.value.prefillTokensPerSecond > 0
            && $0.value.decodeTokensPerSecond.isFinite && $0.value.decodeTokensPerSecond > 0 }
    }
}
