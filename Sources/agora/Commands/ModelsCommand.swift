import AgoraAPI
import ArgumentParser
import Foundation

/// `agora models`: the models a running node serves and the ones the network serves; `add`
/// and `remove` change a node's models without restarting it.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List, add and remove the models a running node serves.",
        subcommands: [ModelsListCommand.self, ModelsAddCommand.self, ModelsRemoveCommand.self],
        defaultSubcommand: ModelsListCommand.self)
}

/// `agora models [list]`.
struct ModelsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "This node's models and the network's.")

    @OptionGroup var options: APIOptions

    func run() async throws {
        let result = try await options.client.get("/api/models")
        let view = try options.client.decode(ModelsView.self, result)
        if options.json { print(String(decoding: result.1, as: UTF8.self)); return }
        print("This node:")
        print(view.local.isEmpty ? "  (serves no model)" : Table.render(
            header: ["name", "state", "slots", "context", "price/1k", "decode tok/s", "checks", "memory", "id"],
            rows: view.local.map { m in
                [m.name, m.state, String(m.slots), String(m.contextPerSlot), String(m.pricePer1kTokens),
                 String(format: "%.0f", m.decodeTokensPerSecond), m.checks,
                 String(format: "%.0f MiB", Double(m.memoryEstimateBytes) / 1_048_576), String(m.modelID.prefix(12))]
            }))
        print("\nThe network:")
        print(view.network.isEmpty ? "  (no peer serves a model yet)" : Table.render(
            header: ["name", "nodes", "context", "price/1k", "decode tok/s", "also answers to", "id"],
            rows: view.network.map { m in
                [m.name + (m.servedHere ? " *" : ""), String(m.providers),
                 m.contextLengthMin == m.contextLength ? String(m.contextLength) : "\(m.contextLengthMin)–\(m.contextLength)",
                 m.priceMin == m.priceMax ? String(m.priceMin) : "\(m.priceMin)–\(m.priceMax)",
                 String(format: "%.0f", m.decodeTokensPerSecond), m.aliases.prefix(3).joined(separator: ", "),
                 String(m.modelID.prefix(12))]
            }))
    }
}

/// `agora models add PATH`.
struct ModelsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Load a GGUF model into a running node and offer it to the network.")

    @Argument(help: "The GGUF file (a path on the node's machine).") var path: String
    @Option(name: .long, help: "Parallel job slots (default: the node's).") var slots: Int?
    @Option(name: .long, help: "Context per slot in tokens (default: the node's).") var context: Int?
    @Option(name: .long, help: "Asking price in credits per 1,000 tokens (default: the node's).") var price: UInt64?
    @OptionGroup var options: APIOptions

    func run() async throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let body = try JSONEncoder().encode(AddModelRequest(path: absolute, slots: slots, contextPerSlot: context, pricePer1kTokens: price))
        let result = try await options.client.post("/api/models", json: body)
        let m = try options.client.decode(LocalModelView.self, result)
        if options.json { print(String(decoding: result.1, as: UTF8.self)); return }
        print("serving \(m.name) (id \(m.modelID.prefix(12))…, \(m.slots) slots × \(m.contextPerSlot) tokens, \(String(format: "%.0f", m.decodeTokensPerSecond)) tok/s, checks \(m.checks))")
    }
}

/// `agora models remove NAME`.
struct ModelsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Stop offering a model; its running jobs finish, then it is unloaded.")

    @Argument(help: "The model's name, alias or id.") var name: String
    @OptionGroup var options: APIOptions

    func run() async throws {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
        let result = try await options.client.delete("/api/models/" + escaped)
        let m = try options.client.decode(LocalModelView.self, result)
        if options.json { print(String(decoding: result.1, as: UTF8.self)); return }
        print("removing \(m.name): no new jobs; it unloads once its running jobs finish")
    }
}
