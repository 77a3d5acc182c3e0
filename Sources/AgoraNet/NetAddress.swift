import NIOCore

/// A host and port: where a datagram came from, or where to send one.
public struct NetAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IP address in text form (or a host name, for addresses given by a user).
    public let host: String
    /// The port.
    public let port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    init?(_ socketAddress: SocketAddress) {
        guard let ip = socketAddress.ipAddress, let port = socketAddress.port else { return nil }
        self.init(host: ip, port: port)
    }

    /// The socket address: IP literals directly, names through the resolver.
    func socketAddress() throws(NetError) -> SocketAddress {
        guard (0...65535).contains(port) else { throw NetError(.invalidAddress, "port \(port) out of range") }
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return literal }
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw NetError(.invalidAddress, "cannot resolve \(self): \(error)")
        }
    }
}
