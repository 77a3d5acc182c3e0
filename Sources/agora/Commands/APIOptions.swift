import ArgumentParser
import Foundation

/// Options shared by commands that talk to a running node's HTTP API.
struct APIOptions: ParsableArguments {
    @Option(name: .long, help: "The node's HTTP API address.")
    var api: String = "http://127.0.0.1:8700"

    @Option(name: .long, help: "API key for a node that requires one (default: $AGORA_API_KEY).")
    var apiKey: String?

    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    var client: NodeAPIClient {
        NodeAPIClient(base: api, apiKey: apiKey ?? ProcessInfo.processInfo.environment["AGORA_API_KEY"])
    }
}
