import AgoraCrypto
import AgoraGossip
import Testing
@testable import AgoraNode

/// The network's models as signed peer records show them, and how the names users type
/// resolve: full names, shorter names, configured aliases, ids, `default`, and a 404 listing
/// the names when nothing matches.
@Suite struct ModelCatalogTests {
    static let smol = SHA256.hash(Array("smol".utf8))
    static let smol8 = SHA256.hash(Array("smol-q8".utf8))
    static let qwen = SHA256.hash(Array("qwen".utf8))

    static func record(_ seed: UInt8, _ offers: [(Digest, String, UInt32, UInt64)]) throws -> Gossip.PeerRecord {
        let id = try Identity(seed: [UInt8](repeating: seed, count: 32))
        let models = offers.map {
            Gossip.ModelOffer(modelID: $0.0, name: $0.1, contextLength: $0.2, prefillMilliTokensPerSecond: 100_000,
                              decodeMilliTokensPerSecond: 20_000 + UInt64(seed) * 1_000, pricePer1kTokens: $0.3)
        }
        return try Gossip.PeerRecord(incarnation: 1, addresses: [Gossip.Address(host: "127.0.0.1", port: 7000 + UInt16(seed))],
                                     capabilities: Gossip.Capabilities(models: models), signer: Gossip.IdentitySigner(id))
    }

    static func catalog(aliases: [String: String] = [:], local: [Digest] = []) throws -> ModelCatalog {
        let records = [
            try record(1, [(smol, "smollm2:135m-instruct-q4_1", 2048, 10), (qwen, "qwen2.5-coder:0.5b-instruct-q4_k_m", 4096, 30)]),
            try record(2, [(smol, "smollm2:135m-instruct-q4_1", 1024, 8)]),
            try record(3, [(qwen, "qwen2.5-coder:0.5b-instruct-q4_k_m", 2048, 25), (smol8, "smollm2:135m-instruct-q8_0", 2048, 12)]),
        ]
        let me = try record(9, local.map { ($0, $0 == smol ? "smollm2:135m-instruct-q4_1" : "qwen2.5-coder:0.5b-instruct-q4_k_m", 2048, 9) })
        return ModelCatalog(records: records, selfRecord: local.isEmpty ? nil : me, localOrder: local,
                            localAliases: [smol: ["smollm2-135m-instruct.q4_1"]], aliases: aliases)
    }

    @Test func eachModelIsListedWithItsNodesContextAndPrices() throws {
        let c = try Self.catalog()
        #expect(c.models.map(\.name) == ["qwen2.5-coder:0.5b-instruct-q4_k_m", "smollm2:135m-instruct-q4_1", "smollm2:135m-instruct-q8_0"])
        let smol = try #require(c.models.first { $0.id == Self.smol })
        #expect(smol.nodes == 2 && smol.contextRange == 1024...2048 && smol.priceRange == 8...10 && !smol.servedHere)
        #expect(smol.aliases == ["smollm2:135m-instruct", "smollm2:135m", "smollm2", "smollm2-135m-instruct.q4_1"])
        let qwen = try #require(c.models.first { $0.id == Self.qwen })
        #expect(qwen.nodes == 2 && qwen.contextRange == 2048...4096 && qwen.priceRange == 25...30)
        #expect(qwen.bestDecodeTokensPerSecond == 23)
    }

    /// The largest group of nodes serving a model in one arithmetic class (what a job that
    /// needs exact checks needs: one provider and its validators).
    @Test func largestExactGroupCountsNodesOfOneClass() throws {
        func record(_ seed: UInt8, _ cls: [UInt8]) throws -> Gossip.PeerRecord {
            let id = try Identity(seed: [UInt8](repeating: seed, count: 32))
            let offer = Gossip.ModelOffer(modelID: Self.smol, name: "smollm2:135m-instruct-q4_1", contextLength: 2048,
                                          prefillMilliTokensPerSecond: 1, decodeMilliTokensPerSecond: 1, pricePer1kTokens: 1,
                                          arithmeticClass: cls)
            return try Gossip.PeerRecord(incarnation: 1, addresses: [Gossip.Address(host: "127.0.0.1", port: 7000 + UInt16(seed))],
                                         capabilities: Gossip.Capabilities(models: [offer]),
                                         signer: Gossip.IdentitySigner(id))
        }
        let a = [UInt8](repeating: 0xA, count: 16), b = [UInt8](repeating: 0xB, count: 16)
        let c = ModelCatalog(records: [try record(1, a), try record(2, b), try record(3, a), try record(4, [])], selfRecord: nil)
        let smol = try #require(c.models.first)
        #expect(smol.nodes == 4 && smol.largestExactGroup == 2)
        let none = ModelCatalog(records: [try record(1, []), try record(2, [])], selfRecord: nil)
        #expect(none.models.first?.largestExactGroup == 0)
    }

    /// A node advertising another model's file under a served model's id (the testnet's
    /// `substitute-model`) cannot rename it, whatever order the records come in: the name is
    /// the one most of the model's nodes give it.
    @Test func aModelKeepsTheNameMostOfItsNodesGiveIt() throws {
        let honest = "smollm2:135m-instruct-q4_1", forged = "aaa:0.5b-instruct"
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let records = [try Self.record(1, [(Self.smol, forged, 2048, 1)]),
                           try Self.record(2, [(Self.smol, honest, 2048, 10)]),
                           try Self.record(3, [(Self.smol, honest, 2048, 10)])]
            let c = ModelCatalog(records: order.map { records[$0] }, selfRecord: nil)
            #expect(c.models.map(\.name) == [honest], "order \(order)")
            #expect(try c.resolve("smollm2").id == Self.smol)
            #expect(throws: NodeError.self) { try c.resolve("aaa") }
        }
    }

    @Test func namesResolveLikeUsersTypeThem() throws {
        let c = try Self.catalog(aliases: ["coder": "qwen2.5-coder:0.5b-instruct-q4_k_m"])
        #expect(try c.resolve("smollm2:135m-instruct-q4_1").id == Self.smol)
        #expect(try c.resolve("SmolLM2:135M-Instruct-Q4_1").id == Self.smol)   // case
        #expect(try c.resolve("smollm2:135m-instruct-q8_0").id == Self.smol8)
        #expect(try c.resolve("qwen2.5-coder").id == Self.qwen)                 // family
        #expect(try c.resolve("qwen2.5-coder:0.5b").id == Self.qwen)            // family:size
        #expect(try c.resolve("coder").id == Self.qwen)                         // configured alias
        #expect(try c.resolve(Self.qwen.hex).id == Self.qwen)                   // model id
        #expect(try c.resolve(String(Self.qwen.hex.prefix(10))).id == Self.qwen)
        #expect(try c.resolve("smollm2-135m-instruct.q4_1").id == Self.smol)    // a local file's name
        // "smollm2" answers for two quantisations: the one more nodes serve.
        #expect(try c.resolve("smollm2").id == Self.smol)
        // `default` and no model: the model most nodes serve (ties by name) when this node serves none.
        #expect(try c.resolve(nil).id == Self.qwen)
        #expect(try c.resolve("default").id == Self.qwen)
        // A node serving models defaults to its first one.
        #expect(try Self.catalog(local: [Self.smol, Self.qwen]).resolve(nil).id == Self.smol)
        #expect(try Self.catalog(local: [Self.smol]).models.first { $0.id == Self.smol }?.servedHere == true)
    }

    @Test func anUnknownNameIsAnErrorListingTheNames() throws {
        let c = try Self.catalog()
        for name in ["llama3", "smollm2:360m", "qwen", "abc", ""] where !name.isEmpty {
            do {
                _ = try c.resolve(name)
                Issue.record("\(name) resolved")
            } catch {
                #expect(error.code == .modelNotFound)
                #expect(error.context.contains("smollm2:135m-instruct-q4_1") && error.context.contains("qwen2.5-coder:0.5b-instruct-q4_k_m"))
            }
        }
        let empty = ModelCatalog(records: [], selfRecord: nil)
        #expect(throws: NodeError.self) { try empty.resolve(nil) }
    }

    @Test func shorterNamesComeFromTheReadableName() {
        #expect(ModelCatalog.derivedAliases(of: "smollm2:135m-instruct-q4_1") == ["smollm2:135m-instruct", "smollm2:135m", "smollm2"])
        #expect(ModelCatalog.derivedAliases(of: "gemma-3:270m-q4_k_m") == ["gemma-3:270m", "gemma-3"])
        #expect(ModelCatalog.derivedAliases(of: "tiny:1m") == ["tiny"])
        #expect(ModelCatalog.derivedAliases(of: "SmolLM2-135M-Instruct.Q4_1").isEmpty)
    }
}
