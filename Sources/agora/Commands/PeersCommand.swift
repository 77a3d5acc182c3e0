import AgoraAPI
import ArgumentParser
import Foundation

/// `agora peers`: the membership view of a running node.
struct PeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "peers", abstract: "List the peers a node sees.")

    @OptionGroup var options: APIOptions

    func run() async throws {
        let result = try await options.client.get("/api/peers")
        let peers = try options.client.decode([PeerView].self, result)
        if options.json { print(String(decoding: result.1, as: UTF8.self)); return }
        print(Table.render(
            header: ["node", "address", "state", "inc", "models", "decode tok/s", "price/1k", "queue", "class", "rep"],
            rows: peers.map { p in
                [String(p.nodeID.prefix(8)) + (p.isSelf ? "*" : ""), p.address, p.state, String(p.incarnation),
                 p.models.map(\.name).joined(separator: ","), String(format: "%.0f", p.decodeTokensPerSecond),
                 String(p.pricePer1kTokens), String(p.queueDepth),
                 p.arithmeticClass.isEmpty ? "-" : String(p.arithmeticClass.prefix(8)), String(format: "%.2f", p.reputation)]
            }))
    }
}

/// `agora jobs`: jobs a running node took part in.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List the jobs a node took part in.")

    @OptionGroup var options: APIOptions

    func run() async throws {
        let result = try await options.client.get("/api/jobs")
        let jobs = try options.client.decode([JobView].self, result)
        if options.json { print(String(decoding: result.1, as: UTF8.self)); return }
        print(Table.render(
            header: ["job", "role", "state", "provider", "price", "latency", "verification", "attempts"],
            rows: jobs.map { j in
                [String(j.jobID.prefix(12)), j.role, j.state, String((j.provider ?? "-").prefix(8)),
                 j.price.map(String.init) ?? "-", j.latencyMs.map { String(format: "%.0f ms", $0) } ?? "-",
                 j.verification, String(j.attempts)]
            }))
    }
}
