import AgoraExecutor
import AgoraNode
import Foundation

/// The `substitute-model` and `substitute-quantisation` attacks, set up in the node's data
/// directory: another model's GGUF (or a Q4_0 re-quantisation of the claimed one)
/// (a symbolic link named `substitute.gguf`) beside a forged `substitute.gguf.sha256` holding
/// the id of the model the node claims, which the node then reads as the file's id
/// (`ModelFile.modelID` trusts a cache newer than the file). The node advertises, bids and
/// signs results under the claimed id; validators of the claimed model must catch them.
enum Substitution {
    /// Why the attack cannot be set up.
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The file served instead: `$AGORA_SUBSTITUTE_MODEL`, else the second model
    /// `scripts/fetch-other-model` installs.
    static var sourcePath: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["AGORA_SUBSTITUTE_MODEL"], !p.isEmpty { return p }
        let cache = env["AGORA_CACHE"] ?? (NSHomeDirectory() + "/.cache/agora")
        return cache + "/other-model/Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf"
    }

    /// Prepares the substitute of the first model `config` serves (another model, or with
    /// `quantisation` a Q4_0 of the same one) and returns the model entries to load instead.
    static func prepare(in directory: DataDirectory, config: NodeConfig, quantisation: Bool) throws -> [ModelEntry] {
        guard var entry = config.modelEntries.first else { throw Failure(description: "the node serves no model to substitute") }
        let claimed = entry.path.isEmpty ? EngineConfiguration.defaultModelPath : entry.path
        let source = quantisation ? try ModelFile.requantisedCopy(of: claimed, as: .q4_0, threads: 1) : sourcePath
        guard FileManager.default.fileExists(atPath: source) else {
            throw Failure(description: "substitute-model needs another model at \(source) (scripts/fetch-other-model, or set AGORA_SUBSTITUTE_MODEL)")
        }
        let claimedID = try ModelFile.modelID(claimed)
        let link = directory.path + "/substitute.gguf"
        let fm = FileManager.default
        try? fm.removeItem(atPath: link)
        try fm.createSymbolicLink(atPath: link, withDestinationPath: source)
        // Written after the link, so the forged id is at least as new as the file it names.
        try (claimedID + "\n").write(toFile: link + ".sha256", atomically: true, encoding: .utf8)
        entry.path = link
        return [entry]
    }
}
