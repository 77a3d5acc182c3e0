import MetricsTestKit
import NIOCore
import NIOPosix
import Testing
@testable import AgoraNet

/// Real UDP sockets on loopback (port 0).
@Suite(.timeLimit(.minutes(1))) struct DatagramTransportTests {
    @Test func datagramsRoundTripWithTheirSender() async throws {
        let metrics = TestMetrics()
        let a = try await DatagramTransport.bind(metricsFactory: metrics)
        let b = try await DatagramTransport.bind(metricsFactory: metrics)
        #expect(a.localAddress.port != 0 && a.localAddress.port != b.localAddress.port)
        var atB = b.incoming.makeAsyncIterator(), atA = a.incoming.makeAsyncIterator()

        try await a.send([1, 2, 3], to: "127.0.0.1", port: b.localAddress.port)
        let first = try #require(await atB.next())
        #expect(first == DatagramTransport.Datagram(bytes: [1, 2, 3], sender: a.localAddress))

        let largest = [UInt8](repeating: 0xab, count: DatagramTransport.maxDatagramSize)
        try await b.send(largest, to: first.sender)
        #expect(await atA.next()?.bytes == largest)

        #expect(try metrics.expectCounter("agora_net_datagrams_sent_total").totalValue == 2)
        #expect(try metrics.expectCounter("agora_net_datagrams_received_total").totalValue == 2)
        await a.close()
        await b.close()
        #expect(await atB.next() == nil)
    }

    /// A port in use is an error at bind, never a second socket sharing (and splitting) the
    /// first one's datagrams.
    @Test func aPortInUseCannotBeBoundAgain() async throws {
        let a = try await DatagramTransport.bind()
        var failed = false
        do {
            let b = try await DatagramTransport.bind(port: a.localAddress.port)
            await b.close()
        } catch {
            failed = true
        }
        #expect(failed, "a second socket bound port \(a.localAddress.port)")
        await a.close()
        // Closed, the port can be bound again at once (UDP has no TIME_WAIT).
        let again = try await DatagramTransport.bind(port: a.localAddress.port)
        await again.close()
    }

    @Test func oversizeSendIsRefusedAndNothingGoesOut() async throws {
        let metrics = TestMetrics()
        let a = try await DatagramTransport.bind(metricsFactory: metrics)
        await expectNetError(.messageTooLarge) {
            try await a.send([UInt8](repeating: 0, count: DatagramTransport.maxDatagramSize + 1), to: a.localAddress)
        }
        await expectNetError(.invalidAddress) { try await a.send([1], to: "127.0.0.1", port: -1) }
        #expect(try metrics.expectCounter("agora_net_datagrams_dropped_total", [("reason", "send_too_large")]).totalValue == 1)
        #expect(metrics.counters(label: "agora_net_datagrams_sent_total").allSatisfy { $0.totalValue == 0 })
        await a.close()
    }

    @Test func oversizeAndEmptyDatagramsAreDroppedOnReceipt() async throws {
        let metrics = TestMetrics()
        let b = try await DatagramTransport.bind(metricsFactory: metrics)
        var atB = b.incoming.makeAsyncIterator()
        let raw = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: b.localAddress.port)
        for size in [1500, 0, 1401, 5] {
            try await raw.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: [UInt8](repeating: 1, count: size))))
        }
        #expect(await atB.next()?.bytes == [1, 1, 1, 1, 1])   // only the 5-byte one comes through
        #expect(try metrics.expectCounter("agora_net_datagrams_dropped_total", [("reason", "oversize")]).totalValue == 2)
        #expect(try metrics.expectCounter("agora_net_datagrams_dropped_total", [("reason", "empty")]).totalValue == 1)
        try await raw.close()
        await b.close()
    }
}
