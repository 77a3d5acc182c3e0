import AgoraAPI
import ArgumentParser
import Foundation

/// `agora submit`: sends a chat completion through a node's API (and so through the market).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to the network through a node and print the verified result.")

    @Argument(help: "The prompt (a user message).")
    var prompt: String

    @Option(name: .long, help: "System message.")
    var system: String?

    @Option(name: .long, help: "Maximum tokens to generate (1…4096).")
    var maxTokens: Int = 128

    @Option(name: .long, help: "Sampling temperature (0 is greedy).")
    var temperature: Double = 0

    @Option(name: .long, help: "Sampling seed.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Model name or id (default: the network's default model).")
    var model: String?

    @OptionGroup var options: APIOptions

    func validate() throws {
        guard (1...4096).contains(maxTokens) else { throw ValidationError("--max-tokens must be between 1 and 4096") }
        guard (0...2).contains(temperature) else { throw ValidationError("--temperature must be between 0 and 2") }
        guard !prompt.isEmpty else { throw ValidationError("the prompt must not be empty") }
    }

    struct Reply: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { let content: String }
            let message: Message
            let finish_reason: String?
        }
        struct Usage: Decodable { let prompt_tokens: Int; let completion_tokens: Int }
        let choices: [Choice]
        let usage: Usage
        let agora: AgoraJobInfo
        let model: String
    }

    func run() async throws {
        var messages: [[String: String]] = []
        if let system { messages.append(["role": "system", "content": system]) }
        messages.append(["role": "user", "content": prompt])
        var body: [String: Any] = ["messages": messages, "max_tokens": maxTokens, "temperature": temperature, "seed": seed]
        if let model { body["model"] = model }
        let data = try JSONSerialization.data(withJSONObject: body)
        let started = Date()
        let result = try await options.client.post("/v1/chat/completions", json: data)
        if options.json {
            _ = try options.client.decode(Reply.self, result)
            print(String(decoding: result.1, as: UTF8.self))
            return
        }
        let reply = try options.client.decode(Reply.self, result)
        print(reply.choices.first?.message.content ?? "")
        let a = reply.agora
        let elapsed = Date().timeIntervalSince(started)
        Stderr.line("""
            job \(a.jobID.prefix(16)) · provider \(a.provider.prefix(8)) · price \(a.price) credits · \
            \(reply.usage.completion_tokens) tokens in \(String(format: "%.2f", elapsed)) s
            ledger entry #\(a.ledgerSeq) \(a.ledgerEntry.prefix(16)) · verification: \(a.verification)
            """)
    }
}
