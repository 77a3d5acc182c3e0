/// Appends values in Agora's canonical binary encoding (Protocol.md, "Encoding"):
/// fixed-width integers big-endian, varints as unsigned LEB128 in shortest form, byte
/// strings and text as a varint length followed by the bytes. There is exactly one
/// encoding of every value, so signatures can cover encoder output.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func uint8(_ v: UInt8) { bytes.append(v) }

    /// Appends a boolean as 0x00 or 0x01.
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    /// Appends 2 bytes big-endian.
    public mutating func uint16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff))
    }

    /// Appends 4 bytes big-endian.
    public mutating func uint32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xff)) }
    }

    /// Appends 8 bytes big-endian.
    public mutating func uint64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xff)) }
    }

    /// Appends 8 bytes big-endian two's complement.
    public mutating func int64(_ v: Int64) { uint64(UInt64(bitPattern: v)) }

    /// Appends an unsigned LEB128 varint (1–10 bytes, shortest form).
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Appends bytes with no length prefix (fixed-size fields: keys, hashes, signatures).
    public mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// Appends a varint length and then the bytes.
    public mutating func bytes(_ b: [UInt8]) {
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    /// Appends a UTF-8 string as length-prefixed bytes.
    public mutating func string(_ s: String) { bytes(Array(s.utf8)) }

    /// Appends a count and then each element.
    public mutating func array<T>(_ items: [T], _ each: (inout WireWriter, T) -> Void) {
        varint(UInt64(items.count))
        for item in items { each(&self, item) }
    }

    /// Appends a wire-encodable value.
    public mutating func value(_ v: some WireEncodable) { v.encode(to: &self) }
}
