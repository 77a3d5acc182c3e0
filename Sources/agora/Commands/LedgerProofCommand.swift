import AgoraCrypto
import AgoraLedger
import AgoraLedgerStore
import ArgumentParser

/// `agora ledger proof`: the inclusion proof of one entry against the latest checkpoint,
/// checked before it is printed.
struct LedgerProofCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof", abstract: "Print an entry's inclusion proof against the latest checkpoint.")

    @OptionGroup var source: LedgerSourceOptions

    @Option(help: "The entry's seq.") var seq: UInt64
    @Flag(help: "Print JSON.") var json = false

    /// The proof as JSON.
    struct ProofJSON: Encodable {
        let seq: UInt64
        let treeSize: UInt64
        let leafHash: String
        let entryHash: String
        let hashes: [String]
        let proofHex: String
        let root: String
        let checkpoint: String
    }

    func run() async throws {
        let database = try source.open()
        guard let checkpoint = try database.latestCheckpoint() else {
            throw LedgerCLIError("the ledger has no checkpoint yet")
        }
        guard seq < checkpoint.checkpoint.size else {
            throw LedgerCLIError("entry \(seq) is not covered by the latest checkpoint (size \(checkpoint.checkpoint.size))")
        }
        let entry = try database.entry(seq: seq)
        let proof = try database.inclusionProof(seq: seq, treeSize: checkpoint.checkpoint.size)
        try proof.verify(entry: entry, checkpoint: checkpoint.checkpoint)
        if json {
            print(try jsonText(ProofJSON(
                seq: seq, treeSize: proof.treeSize, leafHash: entry.leafHash.hex, entryHash: entry.hash.hex,
                hashes: proof.hashes.map(\.hex), proofHex: Hex.encode(proof.wireBytes),
                root: checkpoint.checkpoint.root.hex, checkpoint: checkpoint.text)))
            return
        }
        print("entry \(seq) (leaf hash \(entry.leafHash.hex)) is in the tree of size \(proof.treeSize):")
        for (i, h) in proof.hashes.enumerated() { print("  \(i): \(h.hex)") }
        print("checkpoint:")
        print(checkpoint.text, terminator: "")
        print("proof verified (\(proof.wireBytes.count) bytes on the wire)")
    }
}
