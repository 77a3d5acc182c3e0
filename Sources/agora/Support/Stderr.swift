import Foundation

/// Diagnostics to standard error (Swift 6 on Linux rejects the global `stderr`).
enum Stderr {
    /// Writes one line to standard error.
    static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
