#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity key file: text `agora-identity-v1\n<base64 of the 32-byte seed>\n`,
/// created with mode 0600 and refused when other users can read or write it.
public enum IdentityFile {
    /// The first line of every key file.
    public static let header = "agora-identity-v1"

    /// Writes `identity` to `path`, creating the file with mode 0600. Refuses to overwrite.
    public static func save(_ identity: Identity, to path: String) throws(CryptoError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CryptoError(.keyFile, "cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var text = Array((header + "\n").utf8)
        identity.withSeed { seed in text += Array(Base64.encode(Array(seed)).utf8) }
        text.append(UInt8(ascii: "\n"))
        defer { for i in text.indices { text[i] = 0 } }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            unlink(path)
            throw CryptoError(.keyFile, "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Loads the identity at `path`. Throws `keyFile` for a missing, unreadable or
    /// malformed file and `insecureKeyFile` when group or others have any access to it.
    public static func load(from path: String) throws(CryptoError) -> Identity {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CryptoError(.keyFile, "key file \(path) is missing or unreadable: \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw CryptoError(.insecureKeyFile,
                              "key file \(path) has mode \(String(st.st_mode & 0o777, radix: 8)); other users can access it. Run: chmod 600 \(path)")
        }
        guard st.st_size < 4096 else { throw CryptoError(.keyFile, "key file \(path) is too large (\(st.st_size) bytes)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CryptoError(.keyFile, "cannot open key file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        defer { for i in buf.indices { buf[i] = 0 } }
        guard n > 0 else { throw CryptoError(.keyFile, "cannot read key file \(path)") }
        let lines = buf[..<n].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard lines.count == 2, Array(lines[0]) == Array(header.utf8) else {
            throw CryptoError(.keyFile, "key file \(path) is not an Agora identity (expected first line \"\(header)\")")
        }
        var seed: [UInt8]
        do { seed = try Base64.decode(String(decoding: lines[1], as: UTF8.self)) } catch {
            throw CryptoError(.keyFile, "key file \(path) holds an invalid seed")
        }
        defer { for i in seed.indices { seed[i] = 0 } }
        guard seed.count == 32 else { throw CryptoError(.keyFile, "key file \(path) holds a \(seed.count)-byte seed, expected 32") }
        return try Identity(seed: seed)
    }
}
