/// An error from `AgoraCrypto`: what failed, and the context a user needs to act on it.
public struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// libsodium could not be initialised.
        case sodiumUnavailable
        /// A key, signature or ciphertext had the wrong length.
        case invalidLength
        /// A signature did not verify.
        case badSignature
        /// A ciphertext did not decrypt or authenticate.
        case decryptionFailed
        /// A public key is not a valid curve point for the requested conversion.
        case invalidKey
        /// A key file is missing, unreadable or malformed.
        case keyFile
        /// A key file can be read by other users.
        case insecureKeyFile
        /// Hex or base64 text that does not decode.
        case invalidEncoding
    }

    /// What kind of failure this is.
    public let code: Code
    /// Human-readable context: which file, which field, which limit.
    public let context: String

    /// Creates an error.
    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
