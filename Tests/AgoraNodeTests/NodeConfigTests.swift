import Foundation
import Testing
@testable import AgoraNode

@Suite("Node configuration file")
struct NodeConfigTests {
    private func decode(_ json: String) throws -> NodeConfig {
        try JSONDecoder().decode(NodeConfig.self, from: Data(json.utf8))
    }

    @Test("context per slot is read from config.json, defaults to 2048, and is range-checked")
    func contextPerSlot() throws {
        #expect(try decode("{}").contextPerSlot == 2048)
        let c = try decode(#"{"contextPerSlot": 512, "slots": 2}"#)
        #expect(c.contextPerSlot == 512 && c.slots == 2)
        try c.validate()
        for bad in [0, 255, 131_073] {
            var b = c
            b.contextPerSlot = bad
            #expect(throws: NodeError.self) { try b.validate() }
        }
    }

    @Test("an unknown key is an error naming the key, not silently ignored")
    func unknownKey() {
        #expect { try decode(#"{"contextPerSlots": 512}"#) } throws: { error in
            "\(error)".contains("contextPerSlots")
        }
    }

    @Test("no configuration makes a normal node lie: the byzantine modes live in agora-byzantine only")
    func misbehaviourIsNotAConfigurationKey() {
        #expect { try decode(#"{"misbehaviour": "alter-token"}"#) } throws: { error in
            "\(error)".contains("misbehaviour")
        }
    }

    @Test("a saved configuration reads back equal")
    func roundTrip() throws {
        var c = NodeConfig()
        c.contextPerSlot = 1024
        c.bootstrap = ["127.0.0.1:7701"]
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(NodeConfig.self, from: data) == c)
    }

    @Test("several models, each a path or an object with its own slots, context and price; a memory budget; aliases")
    func models() throws {
        let c = try decode(#"{"models": ["/m/a.gguf", {"path": "/m/b.gguf", "slots": 1, "contextPerSlot": 1024, "pricePer1kTokens": 30}], "memory": "2.5G", "aliases": {"coder": "qwen2.5-coder:0.5b-instruct-q4_k_m"}}"#)
        #expect(c.modelEntries == [ModelEntry(path: "/m/a.gguf"), ModelEntry(path: "/m/b.gguf", slots: 1, contextPerSlot: 1024, pricePer1kTokens: 30)])
        #expect(c.memoryBudget == UInt64(2.5 * 1024 * 1024 * 1024))
        #expect(c.aliases["coder"] == "qwen2.5-coder:0.5b-instruct-q4_k_m")
        try c.validate()
        #expect(try decode(#"{"modelPath": "/m/x.gguf"}"#).modelEntries == [ModelEntry(path: "/m/x.gguf")])
        #expect(try decode("{}").modelEntries == [ModelEntry(path: "")])
        #expect(try JSONDecoder().decode(NodeConfig.self, from: JSONEncoder().encode(c)) == c)
        for (text, bytes) in [("512M", UInt64(512 << 20)), ("4g", UInt64(4) << 30), ("1000000", UInt64(1_000_000)), ("2GiB", UInt64(2) << 30)] {
            #expect(NodeConfig.parseBytes(text) == bytes)
        }
        for bad in ["", "lots", "-1G", "0", "1X"] { #expect(NodeConfig.parseBytes(bad) == nil) }
        var b = c
        b.memory = "lots"
        #expect(throws: NodeError.self) { try b.validate() }
        b = c
        b.models[1].slots = 0
        #expect(throws: NodeError.self) { try b.validate() }
        b = c
        b.models = Array(repeating: ModelEntry(path: "/m/a.gguf"), count: ModelEntry.maxModels + 1)
        #expect(throws: NodeError.self) { try b.validate() }
    }
}
