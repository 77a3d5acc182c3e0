/// Reads Agora's canonical binary encoding. Every length is checked against the bytes
/// that remain and against a caller-given bound *before* anything is allocated; every
/// error names the field and the byte offset.
public struct WireReader: Sendable {
    private let input: [UInt8]
    /// Current read position (byte offset into the input).
    public private(set) var offset: Int

    /// A reader over `bytes`.
    public init(_ bytes: [UInt8]) {
        input = bytes
        offset = 0
    }

    /// Bytes not yet read.
    public var remaining: Int { input.count - offset }
    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == input.count }

    private mutating func take(_ n: Int, _ field: String) throws(WireError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else {
            throw WireError(.truncated, "\(field): need \(n) bytes, \(remaining) remain", offset: offset)
        }
        let s = input[offset..<offset + n]
        offset += n
        return s
    }

    /// Reads one byte.
    public mutating func uint8(_ field: String) throws(WireError) -> UInt8 {
        try take(1, field).first!
    }

    /// Reads a boolean; only 0x00 and 0x01 are accepted.
    public mutating func bool(_ field: String) throws(WireError) -> Bool {
        let at = offset
        switch try uint8(field) {
        case 0: return false
        case 1: return true
        case let b: throw WireError(.invalidValue, "\(field): boolean must be 0 or 1, got \(b)", offset: at)
        }
    }

    /// Reads 2 bytes big-endian.
    public mutating func uint16(_ field: String) throws(WireError) -> UInt16 {
        let s = try take(2, field)
        return s.reduce(0) { $0 << 8 | UInt16($1) }
    }

    /// Reads 4 bytes big-endian.
    public mutating func uint32(_ field: String) throws(WireError) -> UInt32 {
        let s = try take(4, field)
        return s.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Reads 8 bytes big-endian.
    public mutating func uint64(_ field: String) throws(WireError) -> UInt64 {
        let s = try take(8, field)
        return s.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Reads 8 bytes big-endian two's complement.
    public mutating func int64(_ field: String) throws(WireError) -> Int64 {
        Int64(bitPattern: try uint64(field))
    }

    /// Reads a varint, rejecting non-shortest forms and values above `max`.
    public mutating func varint(_ field: String, max: UInt64 = .max) throws(WireError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < input.count else { throw WireError(.truncated, "\(field): varint runs past the end", offset: start) }
            let b = input[offset]
            offset += 1
            let low = UInt64(b & 0x7f)
            if shift == 63, low > 1 { throw WireError(.nonCanonical, "\(field): varint overflows 64 bits", offset: start) }
            result |= low << shift
            if b & 0x80 == 0 {
                if b == 0, shift > 0 { throw WireError(.nonCanonical, "\(field): varint is not in shortest form", offset: start) }
                break
            }
            shift += 7
            if shift > 63 { throw WireError(.nonCanonical, "\(field): varint longer than 10 bytes", offset: start) }
        }
        guard result <= max else { throw WireError(.oversized, "\(field): \(result) exceeds the limit \(max)", offset: start) }
        return result
    }

    /// Reads a varint that must fit an `Int` no larger than `max`.
    public mutating func count(_ field: String, max: Int) throws(WireError) -> Int {
        Int(try varint(field, max: UInt64(max)))
    }

    /// Reads exactly `count` bytes (a fixed-size field).
    public mutating func raw(_ count: Int, _ field: String) throws(WireError) -> [UInt8] {
        Array(try take(count, field))
    }

    /// Reads a varint length (at most `max`) and then that many bytes.
    public mutating func bytes(_ field: String, max: Int) throws(WireError) -> [UInt8] {
        let n = try count(field + " length", max: max)
        return Array(try take(n, field))
    }

    /// Reads length-prefixed UTF-8 text of at most `max` bytes.
    public mutating func string(_ field: String, max: Int) throws(WireError) -> String {
        let at = offset
        let b = try bytes(field, max: max)
        guard let s = String(validating: b, as: UTF8.self) else {
            throw WireError(.invalidValue, "\(field): not valid UTF-8", offset: at)
        }
        return s
    }

    /// Reads a count (at most `max`) and then that many elements.
    public mutating func array<T>(_ field: String, max: Int,
                                  _ each: (inout WireReader) throws(WireError) -> T) throws(WireError) -> [T] {
        let n = try count(field + " count", max: max)
        var out = [T]()
        out.reserveCapacity(Swift.min(n, remaining))
        for _ in 0..<n { out.append(try each(&self)) }
        return out
    }

    /// Throws `trailingBytes` unless every byte has been read.
    public func expectEnd(_ what: String) throws(WireError) {
        guard isAtEnd else { throw WireError(.trailingBytes, "\(what): \(remaining) bytes after the end", offset: offset) }
    }
}
