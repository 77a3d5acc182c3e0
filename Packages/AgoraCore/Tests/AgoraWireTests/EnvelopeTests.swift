import Testing
@testable import AgoraWire

@Suite struct EnvelopeTests {
    @Test func smallPayloadVector() throws {
        let e = Envelope(type: .ping, payload: [0xaa, 0xbb])
        #expect(e.encoded() == [0x01, 0x01, 0x01, 0x00, 0x02, 0xaa, 0xbb])
        #expect(try Envelope(decoding: e.encoded()) == e)
    }

    @Test func largePayloadCompressesAndRoundTrips() throws {
        let payload = [UInt8](repeating: 0x41, count: 10_000)
        let bytes = Envelope(type: .entries, payload: payload).encoded()
        #expect(bytes.count < 200)
        #expect(bytes[3] == 1)
        #expect(try Envelope(decoding: bytes).payload == payload)
    }

    @Test func unknownVersionTypeFlagsAndTrailingRejected() {
        #expect((#expect(throws: WireError.self) { try Envelope(decoding: [0x02, 0x01, 0x01, 0x00, 0x00]) })?.code == .unknownVersion)
        #expect((#expect(throws: WireError.self) { try Envelope(decoding: [0x01, 0x7f, 0x7f, 0x00, 0x00]) })?.code == .unknownType)
        #expect((#expect(throws: WireError.self) { try Envelope(decoding: [0x01, 0x01, 0x01, 0x04, 0x00]) })?.code == .invalidValue)
        #expect((#expect(throws: WireError.self) { try Envelope(decoding: [0x01, 0x01, 0x01, 0x00, 0x00, 0x00]) })?.code == .trailingBytes)
        #expect((#expect(throws: WireError.self) { try Envelope(decoding: []) })?.code == .truncated)
    }

    @Test func decompressionBombRefused() throws {
        let big = [UInt8](repeating: 0, count: 1 << 20)
        let z = try Zstd.compress(big)
        let e = #expect(throws: WireError.self) { try Zstd.decompress(z, maxSize: 1000) }
        #expect(e?.code == .oversized)
        #expect(try Zstd.decompress(z, maxSize: 1 << 20) == big)
        #expect(throws: WireError.self) { try Zstd.decompress([1, 2, 3, 4], maxSize: 1000) }
        #expect(throws: WireError.self) { try Zstd.decompress(Array(z.dropLast(3)), maxSize: 1 << 20) }
    }

    @Test func framesSplitAcrossReadsAndOversizeRejected() throws {
        var d = FrameDecoder(maxFrame: 100)
        let f = FrameDecoder.frame([1, 2, 3]) + FrameDecoder.frame([4])
        #expect(try d.feed(f.prefix(5)) == [])
        #expect(try d.feed(f.dropFirst(5)) == [[1, 2, 3], [4]])
        #expect(d.pending == 0)
        let e = #expect(throws: WireError.self) { try d.feed([0, 0, 1, 0]) }
        #expect(e?.code == .oversized)
    }

    /// Property: random and mutated inputs give typed errors or a value, never a crash.
    /// Random and mutated envelopes: each either decodes to the one envelope that encodes back
    /// to the same bytes (the encoding is canonical), or is refused with a `WireError` whose
    /// offset lies inside the input and whose context says what failed. Frames are never
    /// returned above the bound, and bytes that hold an oversized length are refused.
    @Test func randomInputDecodesCanonicallyOrIsATypedError() {
        var rng = SplitMix64(seed: 0xA60A)
        let valid = Envelope(type: .bid, payload: Array(0..<200).map { UInt8($0 & 0xff) }).encoded()
        var decoded = 0
        var refused: [WireError.Code: Int] = [:]
        for i in 0..<20_000 {
            var input: [UInt8]
            if i % 2 == 0 {
                input = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = valid
                let flips = 1 + Int(rng.next() % 4)
                for _ in 0..<flips { input[Int(rng.next() % UInt64(input.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
                if rng.next() % 3 == 0 { input = Array(input.prefix(Int(rng.next() % UInt64(input.count)))) }
            }
            do {
                let envelope = try Envelope(decoding: input)
                decoded += 1
                if input[3] == 0 { #expect(envelope.encoded(compress: false) == input) }
            } catch {
                refused[error.code, default: 0] += 1
                #expect(!error.context.isEmpty)
                if let offset = error.offset { #expect(offset <= input.count, "\(error)") }
            }
            var d = FrameDecoder(maxFrame: 1024)
            do {
                for frame in try d.feed(input) { #expect(frame.count <= 1024) }
            } catch {
                #expect(error.code == .oversized)
                let length = input.prefix(4).reduce(0) { $0 << 8 | Int($1) }
                #expect(length > 1024 && d.pending == 0)
            }
        }
        // Both paths ran, and the refusals name the kinds of failure the mutations make.
        #expect(decoded > 100)
        #expect(refused[.unknownVersion, default: 0] > 0 && refused[.unknownType, default: 0] > 0 && refused[.truncated, default: 0] > 0)
    }
}

/// A tiny seeded generator for property tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
