/// An error decoding or encoding Agora wire bytes: what went wrong, in which field, at
/// which byte offset.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The input ended before the value did.
        case truncated
        /// A length or count exceeds the bound allowed for its field.
        case oversized
        /// A varint was not in its one canonical (shortest) form, or overflowed 64 bits.
        case nonCanonical
        /// Bytes remained after a complete value.
        case trailingBytes
        /// The envelope's protocol version is not one this build speaks.
        case unknownVersion
        /// The envelope's message type is unknown, or not the one expected.
        case unknownType
        /// A field holds a value outside its allowed set (an enum tag, a flag, UTF-8).
        case invalidValue
        /// zstd failed to compress or decompress, or the result exceeds its bound.
        case compression
    }

    /// What kind of failure this is.
    public let code: Code
    /// Which field or structure, and the numbers involved.
    public let context: String
    /// Byte offset into the input where the problem was found, when known.
    public let offset: Int?

    /// Creates an error.
    public init(_ code: Code, _ context: String, offset: Int? = nil) {
        self.code = code
        self.context = context
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(code.rawValue) at byte \(offset): \(context)" }
        return "\(code.rawValue): \(context)"
    }
}
