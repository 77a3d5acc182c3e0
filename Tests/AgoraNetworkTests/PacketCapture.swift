import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tcpdump capture of loopback traffic on the peers' gossip and session ports (not the
/// HTTP API, whose requests carry the prompt in clear by design). Returns nil when tcpdump
/// cannot run here (not installed or no permission); the caller then skips the wire check.
final class PacketCapture: @unchecked Sendable {
    // Safety: owned by one test.
    private let process: Process
    private let path: String

    private init(process: Process, path: String) {
        self.process = process
        self.path = path
    }

    static func start(ports: Range<Int>, root: String) -> PacketCapture? {
        guard let exe = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first(where: FileManager.default.isExecutableFile) else {
            return nil
        }
        let path = root + "/wire.pcap"
        let filter = ports.map { "port \($0)" }.joined(separator: " or ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-i", "lo", "-U", "-s", "0", "-w", path, filter]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        Thread.sleep(forTimeInterval: 1.0)
        guard p.isRunning else { return nil }
        return PacketCapture(process: p, path: path)
    }

    /// Stops the capture and returns the captured bytes.
    func stop() -> Data {
        // SIGKILL: a child of Foundation.Process inherits blocked signals on Linux, so SIGINT may
        // never arrive; with -U every packet is already written when it was captured.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return FileManager.default.contents(atPath: path) ?? Data()
    }
}
