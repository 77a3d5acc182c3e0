import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraNet

/// A slow consumer holds back a fast sender through TCP flow control instead of letting
/// the receiving session buffer without bound.
@Suite(.timeLimit(.minutes(2))) struct SessionBackpressureTests {
    actor Progress {
        var sent = 0
        func increment() { sent += 1 }
    }

    @Test func anIdleConsumerStallsTheSenderAndLosesNothing() async throws {
        let bob = Identity.generate()
        let server = try await SessionServer.start(identity: bob)
        var accepted = server.sessions.makeAsyncIterator()
        let client = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: .generate(), expectedPeer: bob.publicKey)
        let serverSide = try #require(await accepted.next())

        // 600 × 64 KiB of incompressible data: far more than the kernel's socket buffers
        // plus the session's 16-envelope high watermark.
        let count = 600, size = 64 << 10
        let progress = Progress()
        let sender = Task {
            for i in 0..<count {
                var payload = SecureRandom.bytes(size)
                payload[0] = UInt8(i & 0xff); payload[1] = UInt8(i >> 8)
                try await client.send(Envelope(type: .entries, payload: payload))
                await progress.increment()
            }
        }
        // Wait until the sender stops making progress (the machine may be busy, so poll
        // rather than assume a speed), then check it stopped far short of the end.
        var stalled = -1, unchanged = 0
        while unchanged < 5 {
            try await Task.sleep(for: .milliseconds(200))
            let now = await progress.sent
            unchanged = now == stalled ? unchanged + 1 : 0
            stalled = now
            if now == count { break }
        }
        #expect(stalled < count / 2, "\(stalled) of \(count) envelopes were accepted with no reader")

        var received = 0
        for try await envelope in serverSide.inbound {
            #expect(Int(envelope.payload[0]) | Int(envelope.payload[1]) << 8 == received)
            received += 1
            if received == count { break }
        }
        try await sender.value
        #expect(received == count)
        await client.close()
        await server.close()
    }

    @Test func closeReturnsEvenWhenThePeerStoppedReading() async throws {
        let bob = Identity.generate()
        let server = try await SessionServer.start(identity: bob)
        var accepted = server.sessions.makeAsyncIterator()
        var configuration = SessionConfiguration()
        configuration.closeTimeout = .milliseconds(300)
        let client = try await SessionClient.connect(to: "127.0.0.1", port: server.port, identity: .generate(),
                                                     configuration: configuration)
        let idle = try #require(await accepted.next())   // never read
        let progress = Progress()
        let sender = Task {
            while true {
                try await client.send(Envelope(type: .entries, payload: SecureRandom.bytes(64 << 10)))
                await progress.increment()
            }
        }
        var last = -1
        while await progress.sent != last { last = await progress.sent; try await Task.sleep(for: .milliseconds(300)) }
        let started = ContinuousClock.now
        await client.close()
        // The close timeout is 300 ms; the bound only separates "returns" from "hangs", with room
        // for a loaded 2-core CI machine running the other suites in parallel.
        #expect(ContinuousClock.now - started < .seconds(10))
        await expectNetError(.sessionClosed) { try await sender.value }
        _ = idle
        await server.close()
    }
}
