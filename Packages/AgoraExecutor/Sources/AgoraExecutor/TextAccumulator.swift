/// Turns generated token bytes into streamable text: holds back an incomplete UTF-8
/// character and any tail that could still become a stop sequence, and finds the first
/// stop sequence. Used by generation and, identically, by verification.
struct TextAccumulator {
    private let stops: [[UInt8]]
    private(set) var bytes: [UInt8] = []
    private var emitted = 0
    /// Byte offset where a stop sequence starts, once one has appeared.
    private(set) var stopAt: Int?

    init(stop: [String]) { stops = stop.map { Array($0.utf8) } }

    /// Appends one token's bytes; returns the text that can now be emitted.
    mutating func append(_ piece: [UInt8]) -> String {
        guard stopAt == nil else { return "" }
        bytes += piece
        if let at = firstStop() {
            stopAt = at
            return take(upTo: at)
        }
        var end = completeUTF8End()
        end = max(emitted, end - stopPrefixHold(end: end))
        return take(upTo: end)
    }

    /// The final text: everything before the stop sequence (or all of it).
    var text: String { String(decoding: bytes.prefix(stopAt ?? bytes.count), as: UTF8.self) }

    /// Emits whatever is still held back (at the end of generation).
    mutating func flush() -> String { take(upTo: stopAt ?? bytes.count) }

    private mutating func take(upTo end: Int) -> String {
        guard end > emitted else { return "" }
        let s = String(decoding: bytes[emitted..<end], as: UTF8.self)
        emitted = end
        return s
    }

    private func firstStop() -> Int? {
        var best: Int?
        for s in stops where !s.isEmpty && s.count <= bytes.count {
            // Only occurrences that end in the newest bytes can be new; search from there.
            let from = max(0, emitted - s.count)
            var i = from
            while i + s.count <= bytes.count {
                if bytes[i..<(i + s.count)].elementsEqual(s) { best = min(best ?? i, i); break }
                i += 1
            }
        }
        return best
    }

    /// Bytes at the end of `bytes[..<end]` that start some stop sequence.
    private func stopPrefixHold(end: Int) -> Int {
        var hold = 0
        for s in stops {
            var l = min(s.count - 1, end)
            while l > hold {
                if bytes[(end - l)..<end].elementsEqual(s[0..<l]) { hold = l; break }
                l -= 1
            }
        }
        return hold
    }

    /// End of the longest prefix of `bytes` that does not cut a UTF-8 character.
    private func completeUTF8End() -> Int {
        let n = bytes.count
        var back = 1
        while back <= min(3, n) {
            let b = bytes[n - back]
            if b & 0xC0 != 0x80 {  // a lead byte (or ASCII)
                let need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                return need > back ? n - back : n
            }
            back += 1
        }
        return n
    }
}
