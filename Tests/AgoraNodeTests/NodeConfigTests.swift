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

    @Test("a saved configuration reads back equal")
    func roundTrip() throws {
        var c = NodeConfig()
        c.contextPerSlot = 1024
        c.bootstrap = ["127.0.0.1:7701"]
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(NodeConfig.self, from: data) == c)
    }
}
