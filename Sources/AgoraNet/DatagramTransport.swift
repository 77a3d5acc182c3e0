import CoreMetrics
import NIOCore
import NIOPosix

/// A bound UDP socket for gossip datagrams. It only moves bytes: datagrams of at most
/// `maxDatagramSize` bytes go out to `host:port`; received ones come out of `incoming`
/// with their sender. It drops by size only (empty or oversize); authenticating a packet
/// is the gossip codec's job. Counts `agora_net_datagrams_{sent,received,dropped}_total`.
public final class DatagramTransport: Sendable {
    /// The largest datagram sent or delivered (fits an IPv6 path without fragmentation).
    public static let maxDatagramSize = 1400

    /// One received datagram.
    public struct Datagram: Equatable, Sendable {
        /// The payload.
        public let bytes: [UInt8]
        /// Where it came from.
        public let sender: NetAddress
    }

    /// The bound address (with the real port when bound to port 0).
    public let localAddress: NetAddress
    /// Received datagrams. When the consumer falls 1,024 behind, new ones are dropped.
    public let incoming: AsyncStream<Datagram>
    private let channel: any Channel
    private let continuation: AsyncStream<Datagram>.Continuation
    private let metrics: NetMetrics

    private init(channel: any Channel, localAddress: NetAddress, incoming: AsyncStream<Datagram>,
                 continuation: AsyncStream<Datagram>.Continuation, metrics: NetMetrics) {
        self.channel = channel
        self.localAddress = localAddress
        self.incoming = incoming
        self.continuation = continuation
        self.metrics = metrics
    }

    /// Binds a UDP socket on `host:port` (port 0 picks a free port).
    public static func bind(host: String = "127.0.0.1", port: Int = 0,
                            metricsFactory: any MetricsFactory = MetricsSystem.factory,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws(NetError) -> DatagramTransport {
        let address = try NetAddress(host: host, port: port).socketAddress()
        let metrics = NetMetrics(factory: metricsFactory)
        let (stream, continuation) = AsyncStream.makeStream(of: Datagram.self, bufferingPolicy: .bufferingNewest(1024))
        // No SO_REUSEADDR: UDP has no TIME_WAIT to wait out, and with it Linux lets a second
        // socket bind the same port and take its datagrams; a second node started on a port in
        // use must fail to start, not silently split the first one's gossip.
        let bootstrap = DatagramBootstrap(group: group)
            // Larger than any accepted datagram, so an oversize one arrives (truncated) as
            // more than `maxDatagramSize` bytes and is dropped rather than cut silently.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler(continuation: continuation, metrics: metrics))
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.bind(to: address).get() } catch {
            throw NetError(.io, "cannot bind UDP \(NetAddress(host: host, port: port)): \(error)")
        }
        let local = channel.localAddress.flatMap(NetAddress.init) ?? NetAddress(host: host, port: port)
        return DatagramTransport(channel: channel, localAddress: local, incoming: stream,
                                 continuation: continuation, metrics: metrics)
    }

    /// Sends one datagram to `host:port`. Throws `messageTooLarge` (nothing sent) above
    /// `maxDatagramSize`, `invalidAddress` for an unusable address, `io` when the socket
    /// refuses it.
    public func send(_ bytes: [UInt8], to host: String, port: Int) async throws(NetError) {
        try await send(bytes, to: NetAddress(host: host, port: port))
    }

    /// Sends one datagram to `address`.
    public func send(_ bytes: [UInt8], to address: NetAddress) async throws(NetError) {
        guard bytes.count <= Self.maxDatagramSize else {
            metrics.datagramDropped("send_too_large")
            throw NetError(.messageTooLarge, "datagram of \(bytes.count) bytes exceeds \(Self.maxDatagramSize)")
        }
        let remote = try address.socketAddress()
        let envelope = AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: bytes))
        do {
            try await channel.writeAndFlush(envelope)
        } catch {
            throw NetError(.io, "cannot send datagram to \(address): \(error)")
        }
        metrics.datagramSent()
    }

    /// Closes the socket and ends `incoming`. Idempotent.
    public func close() async {
        try? await channel.close()
        continuation.finish()
    }
}

/// Delivers received datagrams of an acceptable size to the transport's stream.
private final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let continuation: AsyncStream<DatagramTransport.Datagram>.Continuation
    private let metrics: NetMetrics

    init(continuation: AsyncStream<DatagramTransport.Datagram>.Continuation, metrics: NetMetrics) {
        self.continuation = continuation
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let size = envelope.data.readableBytes
        guard size > 0 else { return metrics.datagramDropped("empty") }
        guard size <= DatagramTransport.maxDatagramSize else { return metrics.datagramDropped("oversize") }
        guard let sender = NetAddress(envelope.remoteAddress) else { return metrics.datagramDropped("unaddressed") }
        let datagram = DatagramTransport.Datagram(bytes: Array(envelope.data.readableBytesView), sender: sender)
        // Counted on arrival (before the consumer can see it); a backlog drop is counted too.
        metrics.datagramReceived()
        if case .dropped = continuation.yield(datagram) { metrics.datagramDropped("backlog") }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable and similar per-datagram errors must not close the socket.
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}
