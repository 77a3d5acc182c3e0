import AgoraCrypto
import AgoraGossip
import AgoraWire
import Testing

/// The arithmetic class a member advertises in its capabilities (Protocol.md §5.2).
@Suite struct CapabilitiesTests {
    static let offer = Gossip.ModelOffer(modelID: SHA256.hash(Array("model".utf8)), name: "m", contextLength: 8192,
                                         prefillMilliTokensPerSecond: 1, decodeMilliTokensPerSecond: 1, pricePer1kTokens: 1)

    @Test func arithmeticClassRoundTrips() throws {
        let cls = Gossip.Capabilities.arithmeticClass(of: "CPU : SSE3 = 1 | flash_attn=off | kv=f16 | n_ubatch=512")
        #expect(cls.count == 16)
        #expect(cls == Array(SHA256.hash(Array("CPU : SSE3 = 1 | flash_attn=off | kv=f16 | n_ubatch=512".utf8)).bytes.prefix(16)))
        let caps = Gossip.Capabilities(models: [Self.offer], queueDepth: 3, arithmeticClass: cls)
        let back = try Gossip.Capabilities(wireBytes: caps.wireBytes)
        #expect(back == caps && back.arithmeticClass == cls)
        let none = Gossip.Capabilities(models: [Self.offer], queueDepth: 3)
        #expect(try Gossip.Capabilities(wireBytes: none.wireBytes).arithmeticClass.isEmpty)
        #expect(none.wireBytes.last == 0)
    }

    @Test func otherClassLengthsAreRejected() throws {
        let base = Gossip.Capabilities(models: [Self.offer], queueDepth: 3).wireBytes.dropLast()
        for n in [1, 8, 15, 17, 32] {
            let bytes = Array(base) + [UInt8(n)] + [UInt8](repeating: 7, count: n)
            #expect(throws: WireError.self, "class of \(n) bytes") { try Gossip.Capabilities(wireBytes: bytes) }
        }
        // A truncated class is an error too, not a shorter class.
        let truncated = Array(base) + [16] + [UInt8](repeating: 7, count: 10)
        #expect(throws: WireError.self) { try Gossip.Capabilities(wireBytes: truncated) }
    }

    @Test func classesDifferWithTheArithmetic() {
        #expect(Gossip.Capabilities.arithmeticClass(of: "a | flash_attn=off") != Gossip.Capabilities.arithmeticClass(of: "a | flash_attn=on"))
    }
}
