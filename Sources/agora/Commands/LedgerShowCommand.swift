import AgoraCrypto
import AgoraLedger
import AgoraLedgerStore
import ArgumentParser
import Foundation

/// `agora ledger show`: lists entries.
struct LedgerShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "List ledger entries.")

    @OptionGroup var source: LedgerSourceOptions

    @Option(help: "First seq to show.") var from: UInt64 = 0
    @Option(help: "Most entries to show.") var limit: Int = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard limit >= 0, limit <= 100_000 else { throw ValidationError("--limit must be between 0 and 100000") }
    }

    /// One entry as JSON.
    struct EntryJSON: Encodable {
        let seq: UInt64
        let time: Int64
        let kind: String
        let bodyHex: String
        let bodySize: Int
        let hash: String
        let previousHash: String
        let signature: String
        let ledgerID: String

        init(_ e: LedgerEntry) {
            seq = e.seq; time = e.time; kind = e.kind.description
            bodyHex = Hex.encode(e.body); bodySize = e.body.count
            hash = e.hash.hex; previousHash = e.previousHash.hex
            signature = Hex.encode(e.signature.bytes); ledgerID = e.ledgerID.hex
        }
    }

    func run() async throws {
        let database = try source.open()
        let entries = try database.entries(from: from, limit: limit)
        if json {
            print(try jsonText(entries.map(EntryJSON.init)))
            return
        }
        print("ledger \(database.ledgerID.hex): \(try database.count()) entries")
        for e in entries {
            let date = Date(timeIntervalSince1970: Double(e.time) / 1000)
            let preview = String(decoding: e.body.prefix(48), as: UTF8.self)
                .map { $0.isASCII && !$0.isNewline && ($0.asciiValue ?? 0) >= 0x20 ? $0 : "." }
            print("#\(e.seq)  \(date.ISO8601Format())  \(e.kind)  \(e.body.count) B  hash \(e.hash.hex.prefix(16))  \(String(preview))")
        }
    }
}
