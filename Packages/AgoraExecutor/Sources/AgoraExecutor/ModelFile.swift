import AgoraCrypto
import Foundation

/// Checks on a GGUF file before llama.cpp sees it, and its model id (SHA-256 of the file),
/// computed once and cached beside it as `<file>.sha256`.
public enum ModelFile {
    /// GGUF files start with these four bytes.
    static let magic: [UInt8] = Array("GGUF".utf8)

    /// Throws a typed error unless `path` names a readable GGUF file (magic, version 2 or 3,
    /// sane header counts). Returns the file size.
    @discardableResult
    public static func check(_ path: String) throws(ExecutorError) -> UInt64 {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ExecutorError(.modelNotFound, "no model file at \(path) (run scripts/bootstrap for the default model, or pass --model PATH)")
        }
        guard !isDir.boolValue else { throw ExecutorError(.notGGUF, "\(path) is a directory, not a GGUF file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ExecutorError(.modelUnreadable, "cannot open \(path) for reading (check its permissions)")
        }
        defer { try? handle.close() }
        let header: Data
        do { header = try handle.read(upToCount: 24) ?? Data() } catch {
            throw ExecutorError(.modelUnreadable, "cannot read \(path): \(error)")
        }
        let bytes = [UInt8](header)
        guard bytes.count == 24 else {
            throw ExecutorError(.notGGUF, "\(path) has \(bytes.count) bytes, too short for a GGUF header (24 bytes)")
        }
        guard Array(bytes[0..<4]) == magic else {
            throw ExecutorError(.notGGUF, "\(path) is not a GGUF file (its first bytes are not \"GGUF\")")
        }
        let version = le32(bytes, 4)
        guard version == 2 || version == 3 else {
            throw ExecutorError(.notGGUF, "\(path) has GGUF version \(version); only versions 2 and 3 are supported")
        }
        let tensors = le64(bytes, 8), kvs = le64(bytes, 16)
        guard tensors > 0, tensors < 1 << 20, kvs < 1 << 20 else {
            throw ExecutorError(.notGGUF, "\(path) has an implausible GGUF header (\(tensors) tensors, \(kvs) metadata keys)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
        return size
    }

    /// The model id of `path`: SHA-256 of the file as lowercase hex, read from `<path>.sha256`
    /// when that file is at least as new as the model, else computed and cached there.
    public static func modelID(_ path: String) throws(ExecutorError) -> String {
        let sidecar = path + ".sha256"
        let fm = FileManager.default
        if let modelDate = modificationDate(path), let sideDate = modificationDate(sidecar), sideDate >= modelDate,
           let text = try? String(contentsOfFile: sidecar, encoding: .utf8) {
            let hex = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) { return hex }
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ExecutorError(.modelUnreadable, "cannot read \(path) to compute its SHA-256: \(error.localizedDescription)")
        }
        let hex = SHA256.hash(MappedBytes(data: data)).hex
        if fm.isWritableFile(atPath: (path as NSString).deletingLastPathComponent) {
            try? (hex + "\n").write(toFile: sidecar, atomically: true, encoding: .utf8)
        }
        return hex
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    private static func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    private static func le64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }
}

/// Lends a `Data`'s bytes to `AgoraCrypto.SHA256` without copying.
private struct MappedBytes: AgoraCrypto.ContiguousBytes {
    let data: Data
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeBytes(body)
    }
}
