import Foundation

/// A generation result saved to a file (JSON) so that anyone can re-check it later with
/// `agora verify-output FILE`: the request, the claimed tokens and the fingerprint.
public struct SavedResult: Sendable, Equatable, Codable {
    /// Format tag; files with another tag are refused.
    public static let formatTag = "agora-executor-result/v1"
    /// Largest file accepted by `load` (bytes).
    public static let maxFileSize = 16 << 20

    /// Always `formatTag`.
    public var format: String
    /// SHA-256 (hex) of the model file that produced the result.
    public var modelID: String
    /// The request: prompt and sampling parameters (with seed).
    public var request: GenerationRequest
    /// The prompt's token ids as the provider evaluated them.
    public var promptTokens: [Int32]
    /// The claimed output token ids.
    public var tokens: [Int32]
    /// The output text.
    public var text: String
    /// Why generation stopped.
    public var finishReason: FinishReason
    /// The provider's runtime fingerprint.
    public var fingerprint: RuntimeFingerprint

    /// Wraps a result of `request`.
    public init(request: GenerationRequest, result: GenerationResult) {
        format = Self.formatTag
        modelID = result.fingerprint.modelID
        self.request = request
        promptTokens = result.promptTokens
        tokens = result.tokens
        text = result.text
        finishReason = result.finishReason
        fingerprint = result.fingerprint
    }

    /// Pretty JSON with sorted keys.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Writes the result to `path`.
    public func save(to path: String) throws(ExecutorError) {
        do { try encoded().write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ExecutorError(.invalidResult, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads and checks a saved result.
    public static func load(from path: String) throws(ExecutorError) -> SavedResult {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ExecutorError(.invalidResult, "no result file at \(path)")
        }
        let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxFileSize else {
            throw ExecutorError(.invalidResult, "\(path) has \(size) bytes, more than the \(maxFileSize) accepted for a result file")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ExecutorError(.invalidResult, "cannot read \(path): \(error.localizedDescription)")
        }
        let saved: SavedResult
        do { saved = try JSONDecoder().decode(SavedResult.self, from: data) } catch {
            throw ExecutorError(.invalidResult, "\(path) is not a saved Agora result (\(error))")
        }
        guard saved.format == formatTag else {
            throw ExecutorError(.invalidResult, "\(path) has format \(saved.format.debugDescription); expected \(formatTag)")
        }
        return saved
    }

    /// Re-checks this result on `engine`, which must hold the same model: exactly when the
    /// saved fingerprint names the engine's own arithmetic class, else with the tolerance.
    public func verify(on engine: LlamaEngine) async throws(ExecutorError) -> VerificationOutcome {
        guard modelID == engine.model.id else {
            throw ExecutorError(.invalidResult, "the result was produced by model \(modelID.prefix(16))…, but the loaded model \(engine.model.path) is \(engine.model.id.prefix(16))… (pass --model with the right file)")
        }
        return try await engine.verify(request: request, claimedTokens: tokens, claimedArithmetic: fingerprint.arithmetic)
    }
}
