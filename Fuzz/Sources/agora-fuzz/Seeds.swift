import AgoraCrypto
import AgoraGossip
import AgoraJob
import AgoraLedger
import AgoraMarket
import AgoraNet
import AgoraWire
import Foundation

/// The fixed keys, ledgers and messages the targets check against, and the seed inputs
/// (`agora-fuzz seeds DIR`; `Fuzz/corpus/` keeps them): real encodings of every value, so
/// that the fuzzer starts from inputs that reach deep into each decoder.
enum Seeds {
    static func identity(_ n: UInt8) -> Identity {
        // Fixed seeds: the same keys in every run (a crash input replays exactly).
        guard let id = try? Identity(seed: [UInt8](repeating: n, count: 32)) else { fatalError("seed identity") }
        return id
    }

    static let requester = identity(1)
    static let provider = identity(2)
    static let model = SHA256.hash(Array("agora-fuzz model".utf8))
    static let secret = Array("the prompt, sealed".utf8)

    /// The honest ledger of `requester`: five entries.
    static let entries: [LedgerEntry] = {
        var out: [LedgerEntry] = []
        var previous = Digest.zero
        for i in 0..<5 {
            guard let e = try? LedgerEntry.sign(identity: requester, seq: UInt64(i), previousHash: previous, time: Int64(1_000 + i),
                                                kind: Ledger.Kind.allCases[i % 4], body: Array("body \(i)".utf8)) else { fatalError("entry") }
            previous = e.hash
            out.append(e)
        }
        return out
    }()

    static let tree = MerkleTree.Memory(leafHashes: entries.map(\.leafHash))

    static func checkpoint(size: Int, root: Digest? = nil) -> SignedCheckpoint {
        guard let r = root ?? (try? tree.root(size: UInt64(size))),
              let c = try? Ledger.Checkpoint(ledgerID: requester.publicKey, size: UInt64(size), root: r, time: 2_000).sign(with: requester)
        else { fatalError("checkpoint") }
        return c
    }

    static let checkpointSmall = checkpoint(size: 3)
    static let checkpointLarge = checkpoint(size: 5)
    /// A second root signed for size 5: the owner equivocating (evidence seeds).
    static let checkpointForked = checkpoint(size: 5, root: SHA256.hash([9]))
    /// Every checkpoint the owner signed.
    static let checkpoints: Set<Ledger.Checkpoint> = [checkpointSmall.checkpoint, checkpointLarge.checkpoint, checkpointForked.checkpoint]

    static var request: GenerationRequest {
        GenerationRequest(prompt: .chat([ChatMessage(role: "user", content: "Why is the sky blue?")]), parameters: .greedy(maxTokens: 16))
    }

    static var profile: Market.ProviderProfile {
        Market.ProviderProfile(models: [model], pricePer1k: 10, prefillTokensPerSecond: 400, decodeTokensPerSecond: 100)
    }

    /// A provider's market instance that knows the requester.
    static func providerMarket() -> Market.Instance {
        var s = Market.Settings()
        s.provider = profile
        var i = Market.Instance(identity: provider, settings: s, verifier: Market.MemoryLedgerVerifier(), randomSeed: [2])
        i.updatePeers([Market.PeerInfo(nodeID: requester.publicKey, models: [], pricePer1k: 0),
                       Market.PeerInfo(nodeID: provider.publicKey, models: [model], pricePer1k: 10)])
        return i
    }

    /// The market messages of one exchange: the requester's job request, the provider's bid,
    /// the requester's award (with the sealed prompt).
    static let exchange: [Envelope] = {
        var r = Market.Instance(identity: requester, settings: Market.Settings(), verifier: Market.MemoryLedgerVerifier(), randomSeed: [1])
        r.updatePeers([Market.PeerInfo(nodeID: provider.publicKey, models: [model], pricePer1k: 10)])
        var p = providerMarket()
        var out: [Envelope] = []
        let submission = Market.JobSubmission(modelID: model, request: request, promptTokens: 8, maxPrice: 100, deadline: 1_060_000,
                                              verificationLevel: 1)
        guard case .success(let sub) = r.submit(submission, now: 1_000_000) else { fatalError("submit") }
        var toProvider: [Envelope] = sub.directives.compactMap { if case .send(_, let e) = $0 { return e } else { return nil } }
        var timers: [Market.Timer] = sub.directives.compactMap { if case .schedule(let t, _) = $0 { return t } else { return nil } }
        for _ in 0..<3 {
            out += toProvider
            var toRequester: [Envelope] = []
            for e in toProvider {
                for d in p.receive(e, from: requester.publicKey, now: 1_000_100) {
                    if case .send(_, let reply) = d { toRequester.append(reply) }
                }
            }
            out += toRequester
            toProvider = []
            for e in toRequester {
                for d in r.receive(e, from: provider.publicKey, now: 1_000_200) {
                    if case .send(_, let m) = d { toProvider.append(m) }
                    if case .schedule(let t, _) = d { timers.append(t) }
                }
            }
            for t in timers {
                for d in r.timerFired(t, now: 1_000_300) { if case .send(_, let m) = d { toProvider.append(m) } }
            }
            timers = []
        }
        return out
    }()

    static var signedRequests: Set<[UInt8]> {
        Set(exchange.filter { $0.type == .jobRequest }.map(\.payload))
    }

    /// A gossip member (the provider's).
    static func member() -> Gossip.Instance {
        guard let m = try? Gossip.Instance(signer: Gossip.IdentitySigner(provider), addresses: [Gossip.Address(host: "10.0.0.1", port: 7700)],
                                           capabilities: Gossip.Capabilities(), incarnation: 1, seed: 7) else { fatalError("member") }
        return m
    }

    /// The provider's gossip member, advertising the model.
    static func advertised() -> Gossip.Instance {
        let offer = Gossip.ModelOffer(modelID: model, name: "fuzz:1b-q4_0", contextLength: 2048, prefillMilliTokensPerSecond: 400_000,
                                      decodeMilliTokensPerSecond: 100_000, pricePer1kTokens: 10)
        guard let m = try? Gossip.Instance(signer: Gossip.IdentitySigner(provider), addresses: [Gossip.Address(host: "10.0.0.1", port: 7700)],
                                           capabilities: Gossip.Capabilities(models: [offer]), incarnation: 1, seed: 7) else { fatalError("member") }
        return m
    }

    static var gossipPackets: [[UInt8]] {
        let datagrams = [
            Gossip.Datagram(messages: [.ping(seq: 1, target: provider.publicKey)]),
            Gossip.Datagram(messages: [.ack(seq: 1)]),
            Gossip.Datagram(messages: [.pingRequest(seq: 2, target: provider.publicKey, address: Gossip.Address(host: "10.0.0.1", port: 7700),
                                                    wantsNack: true)]),
            // A signed peer record advertising a model (the provider's), as gossip carries it.
            Gossip.Datagram(messages: [.peerRecord(advertised().record)]),
        ]
        return datagrams.compactMap { try? Gossip.Packet.seal($0, by: requester, sequence: 1) }
    }

    /// The frames of a real handshake between the requester (initiator) and the provider.
    static var handshakeFrames: [[UInt8]] {
        var initiator = HandshakeStateMachine(role: .initiator(expectedPeer: provider.publicKey), identity: requester)
        var responder = HandshakeStateMachine(role: .responder, identity: provider)
        var frames: [[UInt8]] = []
        var toResponder = initiator.start().compactMap { if case .send(let f) = $0 { return f } else { return nil } }
        _ = responder.start()
        for _ in 0..<3 {
            frames += toResponder
            let replies = toResponder.flatMap { responder.receive($0) }.compactMap { a -> [UInt8]? in
                if case .send(let f) = a { return f } else { return nil }
            }
            frames += replies
            toResponder = replies.flatMap { initiator.receive($0) }.compactMap { a -> [UInt8]? in
                if case .send(let f) = a { return f } else { return nil }
            }
        }
        return frames
    }

    /// Seeds by target.
    static var all: [String: [[UInt8]]] {
        let inclusion = Ledger.InclusionProof(index: 1, treeSize: 5, hashes: (try? tree.inclusionProof(index: 1, size: 5)) ?? [])
        let consistency = Ledger.ConsistencyProof(size1: 3, size2: 5, hashes: (try? tree.consistencyProof(from: 3, to: 5)) ?? [])
        let answer = Ledger.ConsistencyAnswer(prefixRoot: checkpointSmall.checkpoint.root, proof: consistency)
        let evidence = Ledger.Evidence(first: checkpointLarge, second: checkpointForked, conflict: .sameSize)
        let export = Ledger.Export.encode(ledgerID: requester.publicKey, entries: entries.map(\.encoded), checkpoint: checkpointLarge)
        var sealed: [[UInt8]] = []
        if let a = try? SealedBox.seal(secret, to: provider.publicKey) { sealed.append(a) }
        if let b = try? Box.seal(secret, from: requester, to: provider.publicKey) { sealed.append(b) }
        return [
            "envelope": exchange.map { $0.encoded(compress: false) } + exchange.prefix(1).map { $0.encoded(compress: true) },
            "market": exchange.map { $0.encoded(compress: false) },
            "ledger": entries.map(\.encoded) + [checkpointSmall.note, checkpointLarge.note, evidence.encoded, export],
            "proofs": [inclusion.wireBytes, consistency.wireBytes, Ledger.ConsistencyRequest(size1: 3, size2: 5).wireBytes, answer.wireBytes],
            "gossip": gossipPackets,
            "sealed": sealed,
            "job": [request.wireBytes] + Array(signedRequests),
            "handshake": handshakeFrames,
            "http": [
                #"{"model":"default","messages":[{"role":"user","content":"Hi"}],"max_tokens":8}"#,
                #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Why?"}],"n":2,"stop":["\n"],"logprobs":true,"top_logprobs":3,"seed":7,"temperature":0.7}"#,
                #"{"messages":[{"role":"user","content":"JSON"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}}}}"#,
                #"{"messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"w","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"required"}"#,
                #"{"model":"default","prompt":"Once upon","max_tokens":4,"echo":true,"logprobs":2}"#,
            ].map { Array($0.utf8) },
        ]
    }

    /// Writes the seeds under `dir/TARGET/` (named by their SHA-256, as libFuzzer names
    /// corpus files). Returns the process status.
    static func write(to dir: String) -> CInt {
        let fm = FileManager.default
        for (target, inputs) in all {
            let path = dir + "/" + target
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
                for input in inputs {
                    try Data(input).write(to: URL(fileURLWithPath: path + "/" + SHA256.hash(input).hex.prefix(40)))
                }
            } catch {
                print("cannot write seeds to \(path): \(error)")
                return 1
            }
            print("\(target): \(inputs.count) seeds")
        }
        return 0
    }
}
