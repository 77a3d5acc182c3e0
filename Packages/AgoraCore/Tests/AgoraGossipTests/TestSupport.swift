import AgoraCrypto
import AgoraGossip

/// A node for step-by-step instance tests: real Ed25519 identity, signer and verifier.
struct TestNode {
    let identity: Identity
    let address: Gossip.Address
    var instance: Gossip.Instance

    var id: NodeID { identity.publicKey }
    var peer: Gossip.Peer { Gossip.Peer(nodeID: id, address: address) }

    init(_ n: UInt8, settings: Gossip.Settings = Gossip.Settings(), incarnation: UInt64 = 1) throws {
        identity = try Identity(seed: [UInt8](repeating: n, count: 32))
        address = Gossip.Address(host: "10.0.0.\(n)", port: 7946)
        instance = try Gossip.Instance(signer: Gossip.IdentitySigner(identity), addresses: [address],
                                       capabilities: testCapabilities(), incarnation: incarnation,
                                       settings: settings, seed: UInt64(n))
    }
}

func testCapabilities(queue: UInt32 = 0) -> Gossip.Capabilities {
    Gossip.Capabilities(models: [Gossip.ModelOffer(modelID: SHA256.hash(Array("model".utf8)), name: "SmolLM2-135M-Instruct.Q4_1",
                                                   contextLength: 8192, prefillMilliTokensPerSecond: 374_000,
                                                   decodeMilliTokensPerSecond: 123_000, pricePer1kTokens: 2_000)],
                        queueDepth: queue)
}

/// Joins every node with every other node's record (a formed cluster) at time 0.
func formCluster(_ nodes: inout [TestNode]) {
    let records = nodes.map(\.instance.record)
    for i in nodes.indices {
        _ = nodes[i].instance.onCommand(.join(bootstrap: [], knownRecords: records.filter { $0.nodeID != nodes[i].id }), now: .zero)
    }
}

extension Array where Element == Gossip.Directive {
    var sends: [(Gossip.Datagram, Gossip.Address)] {
        compactMap { if case .send(let d, let a) = $0 { (d, a) } else { nil } }
    }
    var events: [Gossip.Event] { compactMap { if case .emit(let e) = $0 { e } else { nil } } }
    var timers: [(Gossip.Timer, Gossip.Instant)] {
        compactMap { if case .schedule(let t, let at) = $0 { (t, at) } else { nil } }
    }
    var messages: [Gossip.Message] { sends.flatMap(\.0.messages) }

    func sends(to a: Gossip.Address) -> [Gossip.Datagram] { sends.filter { $0.1 == a }.map(\.0) }
}

func ms(_ v: Int64) -> Gossip.Instant { .milliseconds(v) }

/// The sequence number of the first ping in `ds`.
func pingSeq(_ ds: [Gossip.Directive]) -> UInt64? {
    for m in ds.messages { if case .ping(let s, _) = m { return s } }
    return nil
}
