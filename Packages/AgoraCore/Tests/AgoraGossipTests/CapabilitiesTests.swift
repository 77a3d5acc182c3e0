import AgoraCrypto
import AgoraGossip
import AgoraWire
import Testing

/// The arithmetic class a member advertises for each model (Protocol.md §5.2).
@Suite struct CapabilitiesTests {
    static let offer = Gossip.ModelOffer(modelID: SHA256.hash(Array("model".utf8)), name: "m", contextLength: 8192,
                                         prefillMilliTokensPerSecond: 1, decodeMilliTokensPerSecond: 1, pricePer1kTokens: 1)

    @Test func arithmeticClassRoundTripsPerModel() throws {
        let cls = Gossip.Capabilities.arithmeticClass(of: "CPU : SSE3 = 1 | flash_attn=off | kv=f16 | n_ubatch=512")
        #expect(cls.count == 16)
        #expect(cls == Array(SHA256.hash(Array("CPU : SSE3 = 1 | flash_attn=off | kv=f16 | n_ubatch=512".utf8)).bytes.prefix(16)))
        var classed = Self.offer
        classed.arithmeticClass = cls
        let other = Gossip.ModelOffer(modelID: SHA256.hash(Array("other".utf8)), name: "o", contextLength: 2048,
                                      prefillMilliTokensPerSecond: 1, decodeMilliTokensPerSecond: 1, pricePer1kTokens: 1)
        let caps = Gossip.Capabilities(models: [classed, other], queueDepth: 3)
        let back = try Gossip.Capabilities(wireBytes: caps.wireBytes)
        #expect(back == caps)
        #expect(back.arithmeticClass(of: classed.modelID) == cls && back.arithmeticClass(of: other.modelID).isEmpty)
        #expect(back.arithmeticClass(of: SHA256.hash([1])).isEmpty, "a model not served has no class")
        #expect(back.arithmeticClasses == [cls])
        #expect(try Gossip.ModelOffer(wireBytes: Self.offer.wireBytes).arithmeticClass.isEmpty)
        #expect(Self.offer.wireBytes.last == 0)
        // A class of another length given to the initialiser is dropped, never encoded.
        #expect(Gossip.ModelOffer(modelID: Self.offer.modelID, name: "m", contextLength: 1, prefillMilliTokensPerSecond: 1,
                                  decodeMilliTokensPerSecond: 1, pricePer1kTokens: 1, arithmeticClass: [1, 2, 3]).arithmeticClass.isEmpty)
    }

    @Test func otherClassLengthsAreRejected() throws {
        let base = Self.offer.wireBytes.dropLast()
        for n in [1, 8, 15, 17, 32] {
            let bytes = Array(base) + [UInt8(n)] + [UInt8](repeating: 7, count: n)
            #expect(throws: WireError.self, "class of \(n) bytes") { try Gossip.ModelOffer(wireBytes: bytes) }
        }
        // A truncated class is an error too, not a shorter class.
        let truncated = Array(base) + [16] + [UInt8](repeating: 7, count: 10)
        #expect(throws: WireError.self) { try Gossip.ModelOffer(wireBytes: truncated) }
    }

    /// A record of version 1 (one class for the whole node) is refused as an unknown version,
    /// not misread.
    @Test func aVersionOneRecordIsRefused() throws {
        let id = try Identity(seed: [UInt8](repeating: 1, count: 32))
        let r = try Gossip.PeerRecord(incarnation: 1, addresses: [Gossip.Address(host: "10.0.0.1", port: 1)],
                                      capabilities: Gossip.Capabilities(models: [Self.offer]), signer: Gossip.IdentitySigner(id))
        var bytes = r.wireBytes
        #expect(bytes[0] == 2)
        bytes[0] = 1
        #expect((#expect(throws: WireError.self) { try Gossip.PeerRecord(wireBytes: bytes) })?.code == .unknownVersion)
    }

    @Test func classesDifferWithTheArithmetic() {
        #expect(Gossip.Capabilities.arithmeticClass(of: "a | flash_attn=off") != Gossip.Capabilities.arithmeticClass(of: "a | flash_attn=on"))
    }
}
