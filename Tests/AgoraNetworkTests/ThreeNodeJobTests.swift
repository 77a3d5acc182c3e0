import AgoraCrypto
import AgoraLedger
import Foundation
import Testing

/// Issue [4/5], real: three node processes on loopback with the real model. A job submitted
/// at A (which does not serve) is served by B or C, A's result carries a ledger proof that
/// this test re-checks on its own, the third node's attestation lands in its ledger, and the
/// prompt never appears on the wire, in a log or in a ledger.
@Suite(.serialized) struct ThreeNodeJobTests {
    @Test func jobIsServedProvenAttestedAndThePromptStaysSecret() async throws {
        let cluster = try TestCluster()
        let secret = "zebra-" + Hex.encode(SecureRandom.bytes(8))
        let capture = PacketCapture.start(ports: cluster.basePort..<(cluster.basePort + 3), root: cluster.root)
        try cluster.start(serving: [false, true, true])
        try await cluster.waitConverged(expected: 3)
        let a = cluster.nodes[0]

        // B and C advertise one arithmetic class (same build, same CPU); A runs no model.
        let (pst, peersData) = try await cluster.get(a, "/api/peers")
        #expect(pst == 200)
        let peerList = try #require(try JSONSerialization.jsonObject(with: peersData) as? [[String: Any]])
        let classes = peerList.map { ($0["models"] as? [Any] ?? []).isEmpty ? "none" : ($0["arithmetic_class"] as? String ?? "?") }
        let served = classes.filter { $0 != "none" }
        #expect(served.count == 2 && served[0].count == 32 && served[0] == served[1], "classes \(classes)")
        #expect(peerList.filter { ($0["models"] as? [Any] ?? []).isEmpty }.allSatisfy { $0["arithmetic_class"] as? String == "" })

        let (status, data) = try await cluster.post(a, "/v1/chat/completions", json: [
            "messages": [["role": "user", "content": "Remember the code word \(secret). What colour is the sky?"]],
            "max_tokens": 16,
        ])
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))\n\(cluster.logTail(a))")
        let reply = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let agora = try #require(reply["agora"] as? [String: Any])
        let provider = try #require(agora["provider"] as? String)
        let ids = try await nodeIDs(cluster)
        #expect(provider == ids[1] || provider == ids[2], "served by \(provider), not B or C")
        #expect(agora["verification"] as? String == "attested-pass")

        // Re-check the provider's ledger entry and its inclusion proof independently.
        let p = cluster.nodes[provider == ids[1] ? 1 : 2]
        let seq = try #require(agora["ledger_seq"] as? Int)
        let (es, edata) = try await cluster.get(p, "/api/ledger/entries?from=\(seq)&limit=1")
        #expect(es == 200)
        let entries = try #require(try JSONSerialization.jsonObject(with: edata) as? [[String: Any]])
        let entry = try Ledger.Entry(bytes: Hex.decode(try #require(entries.first?["bytes"] as? String)))
        #expect(entry.isSignatureValid)
        #expect(entry.ledgerID.hex == provider)
        #expect(entry.kind == .result)
        #expect(entry.hash.hex == agora["ledger_entry"] as? String)
        let (ps, pdata) = try await cluster.get(p, "/api/ledger/proof?seq=\(seq)")
        #expect(ps == 200)
        let proof = try #require(try JSONSerialization.jsonObject(with: pdata) as? [String: Any])
        let checkpoint = try Ledger.SignedCheckpoint(text: try #require(proof["checkpoint"] as? String))
        #expect(checkpoint.checkpoint.ledgerID.hex == provider)
        let path = try (proof["path"] as? [String] ?? []).map { try Digest(bytes: Hex.decode($0)) }
        let inclusion = Ledger.InclusionProof(index: entry.seq, treeSize: checkpoint.checkpoint.size, hashes: path)
        try inclusion.verify(entry: entry, checkpoint: checkpoint.checkpoint)

        // The validator (the other serving node) attested in its own ledger.
        let v = cluster.nodes[provider == ids[1] ? 2 : 1]
        let (ls, ldata) = try await cluster.get(v, "/api/ledger?limit=10")
        #expect(ls == 200)
        let ledger = try #require(try JSONSerialization.jsonObject(with: ldata) as? [String: Any])
        let kinds = (ledger["entries"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds.contains("attestation"), "validator ledger holds \(kinds)")
        // Provider and validator share a class, so the validator's check was exact.
        let validatorLog = (try? String(contentsOfFile: v.log, encoding: .utf8)) ?? ""
        #expect(validatorLog.contains("check=exact"), "validator log: \(cluster.logTail(v))")

        // The provider learned from the requester's receipt what it earned (message 0x0309).
        var providerCredits: Int64 = 0
        let until = Date().addingTimeInterval(10)
        while Date() < until {
            let (_, hdata) = try await cluster.get(p, "/api/health")
            providerCredits = ((try? JSONSerialization.jsonObject(with: hdata)) as? [String: Any])?["credits"] as? Int64 ?? 0
            if providerCredits > 1_000_000 { break }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        #expect(providerCredits == 1_000_000 + Int64(try #require(agora["price"] as? Int)), "provider credits \(providerCredits)")

        let exits = await cluster.stopAll()
        #expect(exits.allSatisfy { $0 == 0 }, "exit codes \(exits)\n\(cluster.exitReport(exits))")
        let captured = capture?.stop()
        for n in cluster.nodes {
            let r = try await cluster.run([cluster.agora, "ledger", "verify", "--data-dir", n.dir])
            #expect(r.status == 0, "ledger verify failed on node \(n.index): \(r.output)")
        }

        // The prompt's secret never appears in logs, ledgers, configs or on the wire.
        let needle = Data(secret.utf8)
        for (path, bytes) in cluster.allFileContents() where !path.hasSuffix(".pcap") {
            #expect(bytes.range(of: needle) == nil, "the prompt leaked into \(path)")
        }
        if let captured {
            #expect(captured.count > 1_000, "the capture saw no peer traffic (\(captured.count) bytes)")
            #expect(captured.range(of: needle) == nil, "the prompt crossed the wire in clear")
        }
    }

    private func nodeIDs(_ cluster: TestCluster) async throws -> [String] {
        var ids: [String] = []
        for n in cluster.nodes {
            let (_, data) = try await cluster.get(n, "/api/health")
            let h = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            ids.append(try #require(h["node_id"] as? String))
        }
        return ids
    }
}
