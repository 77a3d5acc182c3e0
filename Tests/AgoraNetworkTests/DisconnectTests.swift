import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue [1/5]: a client that goes away cancels its job everywhere, streamed or not; nobody is
/// charged and the slot serves the next request.
@Suite(.serialized) struct DisconnectTests {
    /// Sends one HTTP/1.1 POST over a raw loopback socket, reads until `until` appears in what
    /// came back (or `wait` passes), then closes the connection without reading the rest.
    static func postAndHangUp(port: Int, path: String, json: [String: Any], until marker: String?,
                              wait: TimeInterval) throws -> String {
        let body = try JSONSerialization.data(withJSONObject: json)
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        var received = ""
        let ok = TestCluster.onLoopbackSocket(port: port, type: SOCK_STREAM) { fd, addr, len in
            guard connect(fd, addr, len) == 0 else { return false }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let bytes = Array(head.utf8) + Array(body)
            guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { return false }
            let deadline = Date().addingTimeInterval(wait)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { received += String(decoding: buffer[0..<n], as: UTF8.self) }
                if n == 0 { break }
                if let marker, received.contains(marker) { break }
            }
            return true
        }
        guard ok else { throw TestCluster.Failure("could not talk to 127.0.0.1:\(port)") }
        return received
    }

    /// The node's job records of `role` (`requester`, `provider`), newest first.
    static func records(_ cluster: TestCluster, _ node: TestCluster.Node, role: String) async throws -> [[String: Any]] {
        let (_, data) = try await cluster.get(node, "/api/jobs")
        let all = (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        return all.filter { $0["role"] as? String == role }
    }

    /// Waits until the newest job of each role is `cancelled`; returns the states last seen.
    static func waitCancelled(_ cluster: TestCluster, _ node: TestCluster.Node) async throws -> (String, String) {
        var states = ("", "")
        for _ in 0..<50 {
            let requester = try await records(cluster, node, role: "requester").first?["state"] as? String ?? "none"
            let provider = try await records(cluster, node, role: "provider").first?["state"] as? String ?? "none"
            states = (requester, provider)
            if states == ("cancelled", "cancelled") { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return states
    }

    @Test func aClientThatGoesAwayCancelsItsJob() async throws {
        let cluster = try TestCluster()
        try cluster.start(serving: [true], verificationLevel: 0, slots: 1)
        try await cluster.waitConverged(expected: 1)
        let a = cluster.nodes[0]
        let (_, healthBefore) = try await cluster.get(a, "/api/health")
        let long: [String: Any] = ["messages": [["role": "user", "content": "Write a long story about the sea."]],
                                   "max_tokens": 2000]

        // Not streamed: the client gives up before the answer.
        _ = try Self.postAndHangUp(port: a.httpPort, path: "/v1/chat/completions", json: long, until: nil, wait: 1.5)
        var states = try await Self.waitCancelled(cluster, a)
        #expect(states == ("cancelled", "cancelled"), "requester/provider states after a hang-up: \(states)\n\(cluster.logTail(a))")

        // Streamed: the client reads the first content chunk and goes.
        var streamed = long
        streamed["stream"] = true
        let seen = try Self.postAndHangUp(port: a.httpPort, path: "/v1/chat/completions", json: streamed,
                                          until: "\"content\"", wait: 30)
        #expect(seen.contains("\"content\""), "no content chunk came: \(seen.prefix(300))")
        states = try await Self.waitCancelled(cluster, a)
        #expect(states == ("cancelled", "cancelled"), "requester/provider states after a streamed hang-up: \(states)\n\(cluster.logTail(a))")

        // Nobody was charged, and the one slot serves the next request at once.
        let (_, healthAfter) = try await cluster.get(a, "/api/health")
        let credits = { (d: Data) in ((try? JSONSerialization.jsonObject(with: d)) as? [String: Any])?["credits"] as? Int }
        #expect(credits(healthBefore) != nil && credits(healthBefore) == credits(healthAfter))
        let (status, data) = try await cluster.post(a, "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": "Say hi."]], "max_tokens": 8,
        ])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        _ = await cluster.stopAll()
    }
}
