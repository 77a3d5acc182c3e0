import AgoraCrypto
@testable import AgoraLedger

/// Deterministic ledgers for tests.
enum Fixtures {
    static let seed7 = [UInt8](repeating: 7, count: 32)
    static let owner = try! Identity(seed: seed7)
    static let other = try! Identity(seed: [UInt8](repeating: 9, count: 32))
    static let time: Int64 = 1_700_000_000_000

    /// A ledger of `count` entries by `identity`, bodies "entry <seq>".
    static func ledger(_ count: Int, identity: Identity = owner) -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        var previous = Digest.zero
        for seq in 0..<count {
            let kind = Ledger.Kind.allCases[seq % 4]
            let e = try! LedgerEntry.sign(identity: identity, seq: UInt64(seq), previousHash: previous,
                                          time: time + Int64(seq), kind: kind, body: Array("entry \(seq)".utf8))
            previous = e.hash
            out.append(e)
        }
        return out
    }

    static func checkpoint(_ entries: [LedgerEntry], size: Int? = nil, identity: Identity = owner,
                           time: Int64 = time) -> SignedCheckpoint {
        let n = size ?? entries.count
        let root = MerkleTree.root(leafHashes: entries.prefix(n).map(\.leafHash))
        return try! Ledger.Checkpoint(ledgerID: identity.publicKey, size: UInt64(n), root: root, time: time).sign(with: identity)
    }
}

/// SplitMix64: seeded randomness for property tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

func hex(_ s: String) -> [UInt8] { try! Hex.decode(s) }
func digest(_ s: String) -> Digest { try! Digest(bytes: hex(s)) }
