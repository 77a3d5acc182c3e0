import AgoraCrypto
import AgoraMarket
import AgoraWire
import Testing

/// Streaming previews: pieces are assembled per provider; only text that extends what the
/// client already has is passed on, so a failover provider repeating the prefix adds only
/// its continuation, and a provider whose preview diverges adds nothing.
@Suite struct StreamAssemblyTests {
    let job = Market.JobID(bytes: [UInt8](repeating: 7, count: 16))!
    let p1 = Identity.generate().publicKey, p2 = Identity.generate().publicKey, p3 = Identity.generate().publicKey

    func piece(_ offset: Int, _ text: String) -> Market.StreamPiece {
        Market.StreamPiece(jobID: job, offset: UInt64(offset), text: Array(text.utf8))
    }

    @Test func failoverRepeatsThePrefixAndOnlyTheContinuationIsPassedOn() {
        var a = Market.StreamAssembly()
        #expect(a.add(piece(0, "The sky"), from: p1) == "The sky")
        #expect(a.add(piece(7, " is"), from: p1) == " is")
        #expect(a.add(piece(7, " is"), from: p1) == nil)        // repeated
        #expect(a.add(piece(20, "blue"), from: p1) == nil)      // gap
        // p1 dies; p2 regenerates deterministically from the start.
        #expect(a.add(piece(0, "The sky"), from: p2) == nil)
        #expect(a.add(piece(7, " is blue"), from: p2) == " blue")
        // A provider whose preview diverges adds nothing.
        #expect(a.add(piece(0, "Grass is green, and more"), from: p3) == nil)
        #expect(String(decoding: a.streamed, as: UTF8.self) == "The sky is blue")
    }

    @Test func piecesRoundTripAndBadOnesAreTypedErrors() throws {
        let p = piece(12, "héllo")
        #expect(try Market.StreamPiece(wireBytes: p.wireBytes) == p)
        #expect(throws: WireError.self) { try Market.StreamPiece(wireBytes: Array(p.wireBytes.dropLast())) }
        #expect(throws: WireError.self) { try Market.StreamPiece(wireBytes: p.wireBytes + [0]) }
        var big = WireWriter()
        big.raw([UInt8](repeating: 1, count: 16)); big.varint(0); big.bytes([UInt8](repeating: 0x61, count: Market.StreamPiece.maxTextBytes + 1))
        #expect(throws: WireError.self) { try Market.StreamPiece(wireBytes: big.bytes) }
    }
}
