import CZstd

/// zstd compression with a hard cap on the decompressed size, so a small hostile frame
/// can never make a node allocate more than the cap.
public enum Zstd {
    /// Compresses `input` at `level` (default 3).
    public static func compress(_ input: [UInt8], level: Int32 = 3) throws(WireError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
        }
        guard ZSTD_isError(n) == 0 else { throw WireError(.compression, "zstd compress: \(errorName(n))") }
        out.removeLast(out.count - n)
        return out
    }

    /// Decompresses one zstd frame, refusing output larger than `maxSize` bytes.
    public static func decompress(_ input: [UInt8], maxSize: Int) throws(WireError) -> [UInt8] {
        let declared = input.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if declared == ZSTD_CONTENTSIZE_ERROR {
            throw WireError(.compression, "not a zstd frame")
        }
        if declared != ZSTD_CONTENTSIZE_UNKNOWN, declared > UInt64(maxSize) {
            throw WireError(.oversized, "zstd frame declares \(declared) bytes, limit \(maxSize)")
        }
        // Stream into a buffer that grows up to maxSize + 1, so an undeclared size is bounded too.
        guard let ds = ZSTD_createDStream() else { throw WireError(.compression, "ZSTD_createDStream failed") }
        defer { ZSTD_freeDStream(ds) }
        var out = [UInt8]()
        let chunk = 64 * 1024
        var buf = [UInt8](repeating: 0, count: chunk)
        var consumedAll = false
        var frameDone = false
        let failure: WireError? = input.withUnsafeBytes { (i: UnsafeRawBufferPointer) -> WireError? in
            var inBuf = ZSTD_inBuffer(src: i.baseAddress, size: i.count, pos: 0)
            while true {
                let (rc, produced) = buf.withUnsafeMutableBytes { o -> (Int, Int) in
                    var outBuf = ZSTD_outBuffer(dst: o.baseAddress, size: chunk, pos: 0)
                    let rc = ZSTD_decompressStream(ds, &outBuf, &inBuf)
                    return (rc, outBuf.pos)
                }
                if ZSTD_isError(rc) != 0 { return WireError(.compression, "zstd decompress: \(errorName(rc))") }
                out.append(contentsOf: buf[..<produced])
                if out.count > maxSize { return WireError(.oversized, "zstd output exceeds the limit \(maxSize)") }
                if rc == 0 { frameDone = true; consumedAll = inBuf.pos == inBuf.size; return nil }
                if inBuf.pos == inBuf.size, produced < chunk { return nil }
            }
        }
        if let failure { throw failure }
        guard frameDone else { throw WireError(.truncated, "zstd frame is incomplete") }
        guard consumedAll else { throw WireError(.trailingBytes, "bytes after the zstd frame") }
        return out
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
