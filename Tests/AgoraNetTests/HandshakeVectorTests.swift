import AgoraCrypto
import AgoraWire
import Foundation
import Testing
@testable import AgoraNet

/// Regenerates the Protocol.md §6.5 test vector and checks every value against the
/// document, so the spec and the code cannot drift.
@Suite struct HandshakeVectorTests {
    /// The values Protocol.md §6.5 lists, computed from the fixed seeds.
    static func vector() throws -> [(String, [UInt8])] {
        let initiator = try Identity(seed: [UInt8](repeating: 0x01, count: 32))
        let responder = try Identity(seed: [UInt8](repeating: 0x02, count: 32))
        let ei = try EphemeralKeyPair(secret: [UInt8](repeating: 0x03, count: 32))
        let er = try EphemeralKeyPair(secret: [UInt8](repeating: 0x04, count: 32))
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: responder.publicKey), identity: initiator, ephemeral: ei),
                                 responder: .init(role: .responder, identity: responder, ephemeral: er))
        let (i, r) = pair.run()
        let ik = try #require(keys(i)), rk = try #require(keys(r))

        // Recompute the schedule step by step, as a second implementation would.
        let h0 = HandshakeTranscript.initialHash
        let h1 = HandshakeTranscript.mix(h0, ei.publicKey.bytes)
        let h2 = HandshakeTranscript.mix(h1, er.publicKey.bytes)
        let ee = try ei.sharedSecret(with: er.publicKey)
        let prk = try KeyedHash.derive(key: ee, parts: [h2])
        let kReply = try KeyedHash.derive(key: prk, parts: [Array("reply".utf8)])
        let kFinish = try KeyedHash.derive(key: prk, parts: [Array("finish".utf8)])
        let replySealed = Array(pair.frames[1].suffix(112))
        let finishSealed = Array(pair.frames[2].suffix(112))
        let h3 = HandshakeTranscript.mix(h2, replySealed)
        let h4 = HandshakeTranscript.mix(h3, finishSealed)
        #expect(h4 == ik.transcriptHash)
        let i2r = try KeyedHash.derive(key: prk, parts: [Array("initiator-to-responder".utf8), h4])
        let r2i = try KeyedHash.derive(key: prk, parts: [Array("responder-to-initiator".utf8), h4])
        #expect(i2r.bytes == ik.sendKey.bytes && i2r.bytes == rk.receiveKey.bytes)
        #expect(r2i.bytes == ik.receiveKey.bytes && r2i.bytes == rk.sendKey.bytes)
        #expect(try HandshakeAEAD.open(replySealed, key: kReply, ad: h2).prefix(32) == responder.publicKey.bytes[...])
        #expect(try HandshakeAEAD.open(finishSealed, key: kFinish, ad: h3).prefix(32) == initiator.publicKey.bytes[...])

        return [
            ("I", initiator.publicKey.bytes), ("R", responder.publicKey.bytes),
            ("E_i", ei.publicKey.bytes), ("E_r", er.publicKey.bytes),
            ("h0", h0), ("h1", h1), ("h2", h2), ("ee", ee.bytes), ("prk", prk.bytes),
            ("k_reply", kReply.bytes), ("k_finish", kFinish.bytes), ("h3", h3), ("h4", h4),
            ("k_i2r", i2r.bytes), ("k_r2i", r2i.bytes),
            ("hello frame", FrameDecoder.frame(pair.frames[0])),
            ("reply frame", FrameDecoder.frame(pair.frames[1])),
            ("finish frame", FrameDecoder.frame(pair.frames[2])),
        ]
    }

    @Test func protocolDocumentCarriesTheRegeneratedVector() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol.md")
        let doc = try String(contentsOf: url, encoding: .utf8)
        // The document wraps long hex over lines of 64 digits; compare without whitespace.
        let compact = doc.filter { !$0.isWhitespace }
        for (name, bytes) in try Self.vector() {
            let hex = Hex.encode(bytes)
            let documented = compact.contains("\(name.filter { !$0.isWhitespace }):\(hex)")
            #expect(documented, "Protocol.md §6.5 \(name) should be \(hex)")
        }
    }
}
