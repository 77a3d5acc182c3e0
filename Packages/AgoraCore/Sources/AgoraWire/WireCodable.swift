/// A value with one canonical wire encoding.
public protocol WireEncodable {
    /// Appends the canonical encoding of `self`.
    func encode(to writer: inout WireWriter)
}

/// A value decodable from its canonical wire encoding.
public protocol WireDecodable {
    /// Reads one value; throws a `WireError` naming the field on any malformed input.
    init(from reader: inout WireReader) throws(WireError)
}

/// Both directions.
public typealias WireCodable = WireEncodable & WireDecodable

extension WireEncodable {
    /// The canonical bytes of `self`.
    public var wireBytes: [UInt8] {
        var w = WireWriter()
        encode(to: &w)
        return w.bytes
    }
}

extension WireDecodable {
    /// Decodes exactly one value from `bytes`; trailing bytes are an error.
    public init(wireBytes bytes: [UInt8]) throws(WireError) {
        var r = WireReader(bytes)
        try self.init(from: &r)
        try r.expectEnd(String(describing: Self.self))
    }
}
