import AgoraCrypto
import AgoraWire
import MetricsTestKit
import Testing
@testable import AgoraNet

/// Real sessions over loopback TCP (port 0).
@Suite(.timeLimit(.minutes(2))) struct SessionTests {
    let alice = Identity.generate(), bob = Identity.generate(), mallory = Identity.generate()

    func config(_ metrics: TestMetrics) -> SessionConfiguration {
        var c = SessionConfiguration()
        c.metricsFactory = metrics
        return c
    }

    @Test func sessionsHandshakeAndExchangeEnvelopesBothWays() async throws {
        let metrics = TestMetrics()
        let server = try await SessionServer.start(identity: bob, configuration: config(metrics))
        var accepted = server.sessions.makeAsyncIterator()
        let client = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: alice,
                                                     expectedPeer: bob.publicKey, configuration: config(metrics))
        let serverSide = try #require(await accepted.next())
        #expect(client.remoteNodeID == bob.publicKey)
        #expect(serverSide.remoteNodeID == alice.publicKey)
        #expect(serverSide.remoteAddress?.host == "127.0.0.1")

        let compressible = Envelope(type: .result, payload: Array(String(repeating: "the sky is blue because ", count: 400).utf8))
        #expect(compressible.encoded()[3] == 1)   // travels zstd-compressed
        let envelopes = [
            Envelope(type: .bid, payload: [1, 2, 3]),
            compressible,
            Envelope(type: .entries, payload: SecureRandom.bytes(Envelope.maxPayload)),   // the largest allowed
        ]
        var toServer = serverSide.inbound.makeAsyncIterator(), toClient = client.inbound.makeAsyncIterator()
        for e in envelopes { try await client.send(e) }
        for e in envelopes { #expect(try await toServer.next() == e) }
        for e in envelopes.reversed() { try await serverSide.send(e) }
        for e in envelopes.reversed() { #expect(try await toClient.next() == e) }

        await expectNetError(.messageTooLarge) {
            try await client.send(Envelope(type: .entries, payload: [UInt8](repeating: 0, count: Envelope.maxPayload + 1)))
        }
        try await client.send(Envelope(type: .cancel, payload: [7]))   // still usable
        #expect(try await toServer.next() == Envelope(type: .cancel, payload: [7]))

        await client.close()
        #expect(try await toServer.next() == nil)   // clean end: the final record arrived
        await expectNetError(.sessionClosed) { try await client.send(Envelope(type: .bid, payload: [])) }
        await server.close()

        #expect(try metrics.expectCounter("agora_net_sessions_established_total", [("role", "initiator")]).totalValue == 1)
        #expect(try metrics.expectCounter("agora_net_sessions_established_total", [("role", "responder")]).totalValue == 1)
        #expect(try metrics.expectCounter("agora_net_records_sent_total").totalValue == 7)
        #expect(try metrics.expectCounter("agora_net_records_received_total").totalValue == 7)
    }

    @Test func expectedPeerMismatchFailsTheConnect() async throws {
        let server = try await SessionServer.start(identity: bob)
        await expectNetError(.wrongPeer) {
            _ = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: alice, expectedPeer: mallory.publicKey)
        }
        try await expectServerStillAccepts(server)
        await server.close()
    }

    @Test func responderSigningWithAnotherKeyIsRejectedByTheClient() async throws {
        let metrics = TestMetrics()
        var forged = config(metrics)
        forged.forgedSigner = mallory
        let server = try await SessionServer.start(identity: bob, configuration: forged)
        await expectNetError(.badSignature) {
            _ = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: alice, configuration: config(metrics))
        }
        #expect(try metrics.expectCounter("agora_net_session_failures_total", [("code", "badSignature")]).totalValue == 1)
        await server.close()
    }

    @Test func initiatorSigningWithAnotherKeyIsRejectedByTheServer() async throws {
        let server = try await SessionServer.start(identity: bob)
        var failures = server.failures.makeAsyncIterator()
        var forged = SessionConfiguration()
        forged.forgedSigner = mallory
        await expectNetError(.connectionClosed) {
            _ = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: alice, configuration: forged)
        }
        #expect(await failures.next()?.code == .badSignature)
        try await expectServerStillAccepts(server)
        await server.close()
    }

    /// Hostile bytes before authentication: each closes the connection with a typed
    /// failure, and the server goes on accepting.
    @Test(arguments: [
        ("garbage frame", FrameDecoder.frame(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)), NetError.Code.malformedHandshake),
        ("oversize length", [0xff, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 16), .oversizedFrame),
        ("truncated hello", [0x00, 0x00, 0x00, 0x25, 0x01, 0x02, 0x01], .truncatedFrame),
        ("nothing", [], .handshakeTimeout),
    ] as [(String, [UInt8], NetError.Code)])
    func hostileBytesBeforeTheHandshake(name: String, bytes: [UInt8], code: NetError.Code) async throws {
        let metrics = TestMetrics()
        var c = config(metrics)
        c.handshakeTimeout = .milliseconds(300)
        let server = try await SessionServer.start(identity: bob, configuration: c)
        var failures = server.failures.makeAsyncIterator()
        try await RawConnection.with(port: server.port) { raw in
            if !bytes.isEmpty { try await raw.send(bytes) }
            if code != .truncatedFrame { #expect(await raw.peerCloses()) }
        }
        let failure = await failures.next()
        #expect(failure?.code == code, "\(name): \(String(describing: failure))")
        #expect(try metrics.expectCounter("agora_net_session_failures_total", [("code", code.rawValue)]).totalValue == 1)
        try await expectServerStillAccepts(server)
        await server.close()
    }

    enum Attack: String, CaseIterable { case flippedByte, replayedRecord, oversizeLength, truncatedRecord, closeWithoutFinal }

    /// Hostile records from an authenticated peer: the server-side session's inbound
    /// stream throws the typed error, the connection closes, the server goes on.
    @Test(arguments: Attack.allCases)
    func hostileRecordsAfterTheHandshake(attack: Attack) async throws {
        let server = try await SessionServer.start(identity: bob)
        var accepted = server.sessions.makeAsyncIterator()
        let good = Envelope(type: .bid, payload: [1, 2, 3])
        let expected: NetError.Code
        var delivered: [Envelope] = []
        try await RawConnection.with(port: server.port) { raw in
            let layer = try await raw.authenticate(as: alice)
            switch attack {
            case .flippedByte:
                var record = layer.seal(good.encoded()); record[record.count - 3] ^= 0x80
                try await raw.sendFrame(record)
            case .replayedRecord:
                let record = layer.seal(good.encoded())
                try await raw.sendFrame(record)
                try await raw.sendFrame(record)
                delivered = [good]
            case .oversizeLength:
                try await raw.send([0x7f, 0xff, 0xff, 0xff])
            case .truncatedRecord:
                try await raw.send(Array(FrameDecoder.frame(layer.seal(good.encoded())).dropLast(5)))
            case .closeWithoutFinal:
                try await raw.sendFrame(layer.seal(good.encoded()))
                delivered = [good]
            }
            if attack != .truncatedRecord && attack != .closeWithoutFinal { #expect(await raw.peerCloses()) }
        }
        switch attack {
        case .flippedByte, .replayedRecord: expected = .decryptionFailed
        case .oversizeLength: expected = .oversizedFrame
        case .truncatedRecord: expected = .truncatedFrame
        case .closeWithoutFinal: expected = .connectionClosed
        }
        let session = try #require(await accepted.next())
        #expect(session.remoteNodeID == alice.publicKey)
        var received: [Envelope] = []
        await expectNetError(expected) {
            for try await e in session.inbound { received.append(e) }
        }
        #expect(received == delivered)
        try await expectServerStillAccepts(server)
        await server.close()
    }

    @Test func connectingToAClosedPortIsAnIOError() async throws {
        let server = try await SessionServer.start(identity: bob)
        let port = server.port
        await server.close()
        await expectNetError(.io) { _ = try await SessionClient.connect(to: "127.0.0.1", port: port, identity: alice) }
        await expectNetError(.invalidAddress) { _ = try await SessionClient.connect(to: "127.0.0.1", port: 70000, identity: alice) }
    }

    private func expectServerStillAccepts(_ server: SessionServer) async throws {
        let session = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: .generate(), expectedPeer: bob.publicKey)
        try await session.send(Envelope(type: .ping, payload: [1]))
        await session.close()
    }
}
