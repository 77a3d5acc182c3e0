// The job description (`GenerationRequest`, `Prompt`, `ChatMessage`, `SamplingParameters`)
// is defined once, in AgoraCore's AgoraJob module, with its wire encoding and limits; the
// executor runs exactly that type.
@_exported import AgoraJob

extension GenerationRequest {
    /// Throws `invalidParameter` naming the first rule the request breaks.
    func validateForEngine() throws(ExecutorError) {
        do { try validate() } catch { throw ExecutorError(.invalidParameter, error.message) }
    }
}
