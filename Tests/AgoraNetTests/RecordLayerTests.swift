import AgoraCrypto
import AgoraWire
import NIOCore
import Testing
@testable import AgoraNet

@Suite struct RecordLayerTests {
    /// Two record layers over keys from a real (in-memory) handshake.
    func layers() throws -> (initiator: RecordLayer, responder: RecordLayer) {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: .generate()),
                                 responder: .init(role: .responder, identity: .generate()))
        let (i, r) = pair.run()
        let a = try RecordLayer(keys: try #require(keys(i))), b = try RecordLayer(keys: try #require(keys(r)))
        guard case .ready = try a.receive(b.headerFrame), case .ready = try b.receive(a.headerFrame) else {
            Issue.record("headers not accepted"); throw NetError(.malformedHandshake, "test")
        }
        return (a, b)
    }

    @Test func envelopesRoundTripBothWaysAndFinalEndsTheStream() throws {
        let (a, b) = try layers()
        let small = Envelope(type: .bid, payload: [1, 2, 3])
        let large = Envelope(type: .result, payload: [UInt8](repeating: 0x61, count: 50_000))
        for e in [small, large] {
            guard case .envelope(let got) = try b.receive(a.seal(e.encoded())) else { Issue.record("no envelope"); return }
            #expect(got == e)
            guard case .envelope(let back) = try a.receive(b.seal(e.encoded())) else { Issue.record("no envelope"); return }
            #expect(back == e)
        }
        guard case .finished = try b.receive(a.sealFinal()) else { Issue.record("expected finished"); return }
        #expect(throws: NetError.self) { try b.receive(a.seal(small.encoded())) }
    }

    @Test func tamperedReplayedAndReorderedRecordsAreDecryptionFailures() throws {
        let e = Envelope(type: .bid, payload: [9, 9])
        do {
            let (a, b) = try layers()
            var r = a.seal(e.encoded()); r[r.count / 2] ^= 1
            #expect(throws: NetError(.decryptionFailed, "session record: record does not authenticate (tampered, replayed, reordered or wrong key)")) {
                try b.receive(r)
            }
        }
        do {
            let (a, b) = try layers()
            let r1 = a.seal(e.encoded())
            _ = try b.receive(r1)
            #expect(throws: NetError.self) { try b.receive(r1) }
        }
        do {
            let (a, b) = try layers()
            _ = a.seal(e.encoded())
            #expect(throws: NetError.self) { try b.receive(a.seal(e.encoded())) }
        }
    }

    @Test func badHeaderAndNonEnvelopePlaintextAreTypedErrors() throws {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: .generate()),
                                 responder: .init(role: .responder, identity: .generate()))
        let (i, _) = pair.run()
        let layer = try RecordLayer(keys: try #require(keys(i)))
        #expect(throws: NetError.self) { try layer.receive([1, 2, 3]) }
        let (a, b) = try layers()
        let err = #expect(throws: NetError.self) { try b.receive(a.seal([0xff, 0xff])) }
        #expect(err?.code == .invalidEnvelope)
    }
}

@Suite struct FrameReaderTests {
    func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    @Test func framesArriveWhateverTheSegmentation() throws {
        let stream = FrameDecoder.frame([1, 2, 3]) + FrameDecoder.frame([]) + FrameDecoder.frame([UInt8](repeating: 7, count: 300))
        for chunk in [1, 2, 5, 64, stream.count] {
            var reader = FrameReader(maxFrame: 1000)
            var frames: [[UInt8]] = []
            var i = 0
            while i < stream.count {
                var b = buffer(Array(stream[i..<min(i + chunk, stream.count)]))
                reader.append(&b)
                while let f = try reader.next() { frames.append(f) }
                i += chunk
            }
            #expect(frames == [[1, 2, 3], [], [UInt8](repeating: 7, count: 300)])
            #expect(reader.pending == 0)
        }
    }

    @Test func lengthAboveTheCurrentLimitIsRejectedBeforeTheBody() throws {
        var reader = FrameReader(maxFrame: 256)
        var b = buffer([0x00, 0x00, 0x01, 0x01])   // 257, no body yet
        reader.append(&b)
        #expect(throws: NetError.self) { try reader.next() }
        var raised = FrameReader(maxFrame: 256)
        var small = buffer(FrameDecoder.frame([1]) + [0x00, 0x00, 0x01, 0x01] + [UInt8](repeating: 0, count: 257))
        raised.append(&small)
        #expect(try raised.next() == [1])
        raised.maxFrame = 4096   // the session phase raises the limit
        #expect(try raised.next()?.count == 257)
    }
}
