import CSodium

/// Once-only libsodium initialisation. Every public entry point of this module calls
/// `Sodium.ready()` first; `sodium_init` is thread-safe and idempotent.
enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    /// Makes sure libsodium is initialised, or throws.
    static func ready() throws(CryptoError) {
        guard initialised else { throw CryptoError(.sodiumUnavailable, "sodium_init failed") }
    }

    /// Initialises libsodium, stopping the process if the library cannot start at all
    /// (only used where no error can be returned, such as key generation).
    static func mustBeReady() {
        precondition(initialised, "libsodium failed to initialise")
    }
}
