#if canImport(Glibc)
import Glibc
#endif

// `agora-fuzz TARGET [libFuzzer options] [corpus dirs]` runs libFuzzer on one target;
// `agora-fuzz seeds DIR` writes every target's seed inputs under DIR/TARGET/.

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// The target libFuzzer calls (chosen by name before the driver starts).
nonisolated(unsafe) var selected: FuzzTarget?

/// libFuzzer's entry point: one input to the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selected?.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; built with -parse-as-library
/// (which libFuzzer needs) nothing else defines it, so this one picks the target and hands
/// the process to libFuzzer's driver.
@_cdecl("agora_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let args = (0..<Int(argc)).map { argv?[$0].map { String(cString: $0) } ?? "" }
    let names = FuzzTarget.all.map(\.name).joined(separator: "|")
    guard args.count >= 2 else {
        print("usage: agora-fuzz \(names) [libFuzzer options] [corpus dirs]\n       agora-fuzz seeds DIR")
        return 2
    }
    if args[1] == "seeds" {
        guard args.count == 3 else { print("usage: agora-fuzz seeds DIR"); return 2 }
        return Seeds.write(to: args[2])
    }
    guard let target = FuzzTarget.all.first(where: { $0.name == args[1] }) else {
        print("unknown target \(args[1]); targets: \(names)")
        return 2
    }
    selected = target
    // libFuzzer sees the program name and the options after the target.
    var rest: [UnsafeMutablePointer<CChar>?] = [argv?[0]] + (2..<Int(argc)).map { argv?[$0] } + [nil]
    var count = CInt(rest.count - 1)
    return rest.withUnsafeMutableBufferPointer { buffer in
        var base: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        return runDriver(&count, &base, fuzzOneInput)
    }
}
