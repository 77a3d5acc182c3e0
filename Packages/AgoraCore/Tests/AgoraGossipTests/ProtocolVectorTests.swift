import AgoraCrypto
import AgoraGossip
import AgoraWire
import Foundation
import Testing

/// Regenerates the hex vectors of Protocol.md §5 and compares them with the document.
@Suite("Protocol.md §5 vectors")
struct ProtocolVectorTests {
    static let alice = try! Identity(seed: [UInt8](repeating: 1, count: 32))
    static let bob = try! Identity(seed: [UInt8](repeating: 2, count: 32))

    static func vectors() throws -> [(String, [UInt8])] {
        let a = alice.publicKey, b = bob.publicKey
        let offer = Gossip.ModelOffer(modelID: SHA256.hash(Array("model".utf8)), name: "SmolLM2-135M",
                                      contextLength: 8192, prefillMilliTokensPerSecond: 374_000,
                                      decodeMilliTokensPerSecond: 123_000, pricePer1kTokens: 2_000,
                                      arithmeticClass: Gossip.Capabilities.arithmeticClass(
                                          of: "CPU : AVX2 = 1 | flash_attn=off | kv=f16 | n_ubatch=512"))
        let record = try Gossip.PeerRecord(incarnation: 3, addresses: [Gossip.Address(host: "10.0.0.1", port: 7946)],
                                           capabilities: Gossip.Capabilities(models: [offer], queueDepth: 2),
                                           signer: Gossip.IdentitySigner(alice))
        let addressB = Gossip.Address(host: "10.0.0.2", port: 7946)
        let datagram = Gossip.Datagram(messages: [.ping(seq: 9, target: b)],
                                       updates: [.suspect(node: b, incarnation: 2, from: a)])
        return [
            ("peer-record", record.wireBytes),
            ("update-alive", Gossip.Update.alive(record).wireBytes),
            ("update-suspect", Gossip.Update.suspect(node: b, incarnation: 2, from: a).wireBytes),
            ("update-dead", Gossip.Update.dead(node: b, incarnation: 2, from: a).wireBytes),
            ("ping", Gossip.Message.ping(seq: 9, target: b).envelope),
            ("ack", Gossip.Message.ack(seq: 9).envelope),
            ("ping-request", Gossip.Message.pingRequest(seq: 300, target: b, address: addressB, wantsNack: true).envelope),
            ("nack", Gossip.Message.nack(seq: 300).envelope),
            ("push-pull", Gossip.Message.pushPull(Gossip.PushPull(isReply: true, updates: [
                .dead(node: b, incarnation: 2, from: a)])).envelope),
            ("packet", try Gossip.Packet.seal(datagram, by: alice, sequence: 100)),
        ]
    }

    /// `name: hex` lines of the vector block in Protocol.md §5.
    static func documented() throws -> [String: String] {
        let path = String(#filePath.split(separator: "/Packages/", maxSplits: 1)[0]) + "/Protocol.md"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let start = text.range(of: "<!-- gossip-vectors -->"), let end = text.range(of: "<!-- /gossip-vectors -->") else { return [:] }
        var out: [String: String] = [:]
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, !parts[1].isEmpty { out[parts[0]] = parts[1] }
        }
        return out
    }

    @Test func documentedVectorsMatchTheCode() throws {
        let doc = try Self.documented()
        for (name, bytes) in try Self.vectors() {
            let hex = Hex.encode(bytes)
            #expect(doc[name] == hex, "vector \(name) — code gives:\n\(name): \(hex)")
        }
    }

    @Test func vectorsDecodeBack() throws {
        for (name, bytes) in try Self.vectors() {
            switch name {
            case "peer-record":
                let r = try Gossip.PeerRecord(wireBytes: bytes)
                #expect(r.wireBytes == bytes && Gossip.Ed25519Verifier().isValid(r))
            case "update-alive", "update-suspect", "update-dead": #expect(try Gossip.Update(wireBytes: bytes).wireBytes == bytes)
            case "packet":
                var g = Gossip.PacketGuard(selfID: Self.bob.publicKey)
                #expect((try? g.open(bytes).get()) != nil)
            default: #expect(try Gossip.Message(envelope: bytes).envelope == bytes)
            }
        }
    }
}
