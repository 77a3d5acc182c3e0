import Testing
@testable import AgoraWire

@Suite struct CodecTests {
    static let varints: [(UInt64, [UInt8])] = [
        (0, [0x00]), (127, [0x7f]), (128, [0x80, 0x01]), (300, [0xac, 0x02]),
        (UInt64.max, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ]

    @Test(arguments: varints)
    func varintVectors(value: UInt64, bytes: [UInt8]) throws {
        var w = WireWriter(); w.varint(value)
        #expect(w.bytes == bytes)
        var r = WireReader(bytes)
        #expect(try r.varint("v") == value)
        #expect(r.isAtEnd)
    }

    static let nonCanonical: [[UInt8]] = [
        [0x80, 0x00], [0x81, 0x80, 0x00], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    ]

    @Test(arguments: nonCanonical)
    func nonCanonicalVarintsRejected(bytes: [UInt8]) {
        var r = WireReader(bytes)
        let e = #expect(throws: WireError.self) { try r.varint("v") }
        #expect(e?.code == .nonCanonical)
    }

    @Test func lengthsBoundedBeforeAllocation() {
        var w = WireWriter(); w.varint(1 << 40)
        var r = WireReader(w.bytes)
        let e = #expect(throws: WireError.self) { try r.bytes("blob", max: 1024) }
        #expect(e?.code == .oversized)
        var w2 = WireWriter(); w2.varint(100); w2.raw([1, 2, 3])
        var r2 = WireReader(w2.bytes)
        let e2 = #expect(throws: WireError.self) { try r2.bytes("blob", max: 1024) }
        #expect(e2?.code == .truncated)
    }

    @Test func fixedWidthBigEndian() throws {
        var w = WireWriter(); w.uint16(0x0102); w.uint32(0x03040506); w.uint64(0x0708090a0b0c0d0e); w.bool(true)
        #expect(w.bytes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 1])
        var r = WireReader(w.bytes)
        #expect(try r.uint16("a") == 0x0102)
        #expect(try r.uint32("b") == 0x03040506)
        #expect(try r.uint64("c") == 0x0708090a0b0c0d0e)
        #expect(try r.bool("d"))
        var bad = WireReader([2])
        #expect(throws: WireError.self) { try bad.bool("flag") }
    }

    @Test func invalidUTF8Rejected() {
        var r = WireReader([2, 0xc3, 0x28])
        let e = #expect(throws: WireError.self) { try r.string("name", max: 10) }
        #expect(e?.code == .invalidValue)
    }
}
