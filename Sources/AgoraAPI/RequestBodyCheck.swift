import Foundation

/// A completion request's body as the API routes take it, without the network: decoded and
/// planned into jobs exactly as `/v1/chat/completions` and `/v1/completions` do. Every input is
/// a plan or an `OpenAIError` (a 4xx with an OpenAI-shaped body). The fuzz target of `Fuzz/`
/// for HTTP request bodies runs through here.
public enum RequestBodyCheck {
    /// The jobs a chat completion body asks for, or why it is refused.
    public static func chat(_ body: [UInt8]) throws(OpenAIError) -> Int {
        let r = try JSONResponse.decode(ChatCompletionRequest.self, from: Data(body))
        return try JobValidation.plan(r, verificationLevel: 1).jobs.count
    }

    /// The jobs a (legacy) completion body asks for, or why it is refused.
    public static func completion(_ body: [UInt8]) throws(OpenAIError) -> Int {
        let r = try JSONResponse.decode(CompletionRequest.self, from: Data(body))
        return try JobValidation.plan(r, verificationLevel: 1).jobs.count
    }
}
