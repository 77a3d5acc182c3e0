import Foundation

/// Network namespaces for `testnet up --netns`: node *i* runs in namespace `agora-n<i>` with
/// its own address 10.77.0.<i+1>/24 on a veth pair whose other end sits on the bridge
/// `agora-br0` (10.77.0.254 on the host), so nodes reach each other and the host reaches every
/// node, but no node shares a loopback or an address with another. Needs root (CAP_NET_ADMIN)
/// and iproute2's `ip`.
enum NetworkNamespaces {
    /// The host's bridge.
    static let bridge = "agora-br0"
    /// The host's address on the bridge.
    static let hostAddress = "10.77.0.254"

    /// The namespace of node `i`.
    static func name(_ i: Int) -> String { "agora-n\(i)" }

    /// The address of node `i` inside its namespace.
    static func address(_ i: Int) -> String { "10.77.0.\(i + 1)" }

    /// The `ip` binary, or a clear error.
    static func ipTool() throws -> String {
        for p in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        throw Testnet.Failure(description: "--netns needs iproute2's `ip` (apt-get install iproute2)")
    }

    /// Creates the bridge and the namespaces of nodes `0..<count` (those already present are kept).
    static func setUp(count: Int) throws {
        guard geteuid() == 0 else {
            throw Testnet.Failure(description: "--netns needs root (CAP_NET_ADMIN) to create network namespaces; run as root or without --netns")
        }
        let ip = try ipTool()
        if try !exists(link: bridge) {
            try run(ip, "link", "add", bridge, "type", "bridge")
            try run(ip, "addr", "add", "\(hostAddress)/24", "dev", bridge)
        }
        try run(ip, "link", "set", bridge, "up")
        let existing = try Spawn.run(ip, ["netns", "list"]).1
        for i in 0..<count {
            let ns = name(i)
            if existing.split(separator: "\n").contains(where: { $0.split(separator: " ").first.map(String.init) == ns }) { continue }
            let host = "agora-h\(i)", peer = "agora-p\(i)"
            try run(ip, "netns", "add", ns)
            try run(ip, "link", "add", host, "type", "veth", "peer", "name", peer)
            try run(ip, "link", "set", host, "master", bridge)
            try run(ip, "link", "set", host, "up")
            try run(ip, "link", "set", peer, "netns", ns)
            try run(ip, "-n", ns, "link", "set", "lo", "up")
            try run(ip, "-n", ns, "link", "set", peer, "name", "eth0")
            try run(ip, "-n", ns, "addr", "add", "\(address(i))/24", "dev", "eth0")
            try run(ip, "-n", ns, "link", "set", "eth0", "up")
        }
    }

    /// Removes the namespaces of nodes `0..<count` and the bridge (missing ones are skipped).
    static func tearDown(count: Int) throws {
        let ip = try ipTool()
        for i in 0..<count {
            _ = try? Spawn.run(ip, ["netns", "del", name(i)])
            _ = try? Spawn.run(ip, ["link", "del", "agora-h\(i)"])
        }
        _ = try? Spawn.run(ip, ["link", "del", bridge])
    }

    /// The argument vector that runs `executable arguments` inside node `i`'s namespace.
    static func wrap(_ i: Int, _ executable: String, _ arguments: [String]) throws -> (String, [String]) {
        (try ipTool(), ["netns", "exec", name(i), executable] + arguments)
    }

    private static func exists(link: String) throws -> Bool {
        try Spawn.run(try ipTool(), ["link", "show", link]).0 == 0
    }

    private static func run(_ ip: String, _ args: String...) throws {
        let (code, out) = try Spawn.run(ip, args)
        guard code == 0 else {
            throw Testnet.Failure(description: "`ip \(args.joined(separator: " "))` failed (\(code)): \(out.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
