import AgoraAPI
import AgoraCrypto
import AgoraGossip
import AgoraJob
import AgoraLedger
import AgoraMarket
import AgoraNet
import AgoraWire

/// One libFuzzer target: every decoder of one family run on the input, each checked for what
/// it must guarantee. A decoder may refuse the input (a typed error); a value it accepts must
/// be canonical (it encodes back to the same bytes) and nothing that fails its signature may
/// be taken as signed. A broken guarantee stops the run (`fatalError`), and libFuzzer keeps
/// the input that broke it.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "envelope", run: envelope),
        FuzzTarget(name: "market", run: market),
        FuzzTarget(name: "ledger", run: ledger),
        FuzzTarget(name: "proofs", run: proofs),
        FuzzTarget(name: "gossip", run: gossip),
        FuzzTarget(name: "sealed", run: sealed),
        FuzzTarget(name: "job", run: job),
        FuzzTarget(name: "handshake", run: handshake),
        FuzzTarget(name: "http", run: http),
    ]

    static func require(_ ok: Bool, _ what: @autoclosure () -> String) {
        if !ok { fatalError(what()) }
    }

    /// Envelopes (every message's frame): decode, encode, decode again: the same envelope.
    static func envelope(_ bytes: [UInt8]) {
        guard let e = try? Envelope(decoding: bytes) else { return }
        for compress in [false, true] {
            guard let again = try? Envelope(decoding: e.encoded(compress: compress)) else {
                fatalError("an accepted envelope does not decode after encoding (compress \(compress))")
            }
            require(again.type == e.type && again.payload == e.payload, "an envelope changed through encoding")
        }
    }

    /// A node's market: any bytes, as a message from a peer, then a message from itself and a
    /// timer round; nothing traps, and whatever is accepted moves the instance on.
    static func market(_ bytes: [UInt8]) {
        var instance = Seeds.providerMarket()
        _ = instance.receive(bytes, from: Seeds.requester.publicKey, now: 1_000_000)
        // The same bytes as an envelope's payload of every market type.
        for type in MessageType.allCases where (0x0300..<0x0500).contains(type.rawValue) {
            _ = instance.receive(Envelope(type: type, payload: bytes), from: Seeds.requester.publicKey, now: 1_000_001)
        }
    }

    /// Ledger entries, checkpoint notes, evidence and export files.
    static func ledger(_ bytes: [UInt8]) {
        if let e = try? LedgerEntry(bytes: bytes) {
            require(e.encoded == bytes, "a ledger entry decoded from non-canonical bytes")
            if e.isSignatureValid { require(Seeds.entries.contains(e), "a ledger entry not signed by its owner verified") }
        }
        if let c = try? SignedCheckpoint(note: bytes) {
            require(Seeds.checkpoints.contains(c.checkpoint), "a checkpoint note not signed by its owner verified")
        }
        if let e = try? Ledger.Evidence(bytes: bytes), (try? e.verify()) != nil {
            require(Seeds.checkpoints.contains(e.first.checkpoint) && Seeds.checkpoints.contains(e.second.checkpoint),
                    "evidence from forged checkpoints verified")
        }
        if let (header, entries, checkpoint) = try? Ledger.Export.decode(bytes),
           (try? Ledger.Verifier.verify(entries: entries, ledgerID: header.ledgerID, checkpoint: checkpoint)) != nil {
            for raw in entries {
                guard let e = try? LedgerEntry(bytes: raw) else { fatalError("a verified export holds an entry that does not decode") }
                require(Seeds.entries.contains(e), "an export with a forged entry verified")
            }
        }
    }

    /// Inclusion and consistency proofs and the consistency messages: canonical when accepted.
    static func proofs(_ bytes: [UInt8]) {
        if let p = try? Ledger.InclusionProof(bytes: bytes) { require(p.wireBytes == bytes, "inclusion proof not canonical") }
        if let p = try? Ledger.ConsistencyProof(bytes: bytes) { require(p.wireBytes == bytes, "consistency proof not canonical") }
        if let q = try? Ledger.ConsistencyRequest(wireBytes: bytes) {
            require(q.wireBytes == bytes && q.size1 > 0 && q.size1 < q.size2, "consistency request not canonical or out of range")
        }
        if let a = try? Ledger.ConsistencyAnswer(wireBytes: bytes) {
            require(a.wireBytes == bytes, "consistency answer not canonical")
            // Judged against the seed ledger's checkpoints: never evidence against an honest ledger.
            if case .equivocation = a.judge(small: Seeds.checkpointSmall, large: Seeds.checkpointLarge) {
                fatalError("an answer made evidence against an honest ledger")
            }
        }
    }

    /// Gossip packets: decoded, their signature checked, and the datagram given to a member.
    static func gossip(_ bytes: [UInt8]) {
        guard let opened = try? Gossip.Packet.decode(bytes) else { return }
        if opened.isAuthentic { require(opened.sender == Seeds.requester.publicKey, "a gossip packet signed by nobody verified") }
        var member = Seeds.member()
        let peer = Gossip.Peer(nodeID: opened.sender, address: Gossip.Address(host: "10.0.0.2", port: 7700))
        _ = member.onDatagram(opened.datagram, from: peer, now: Gossip.Instant(nanoseconds: 1_000_000_000))
    }

    /// Sealed payloads (prompts, outputs): only the key they were sealed to opens them.
    static func sealed(_ bytes: [UInt8]) {
        if let plain = try? SealedBox.open(bytes, with: Seeds.provider) {
            require(plain == Seeds.secret, "a forged sealed box opened")
        }
        if let plain = try? Box.open(bytes, from: Seeds.requester.publicKey, with: Seeds.provider) {
            require(plain == Seeds.secret, "a forged authenticated box opened")
        }
    }

    /// Job descriptions and signed market messages.
    static func job(_ bytes: [UInt8]) {
        if let r = try? GenerationRequest(wireBytes: bytes) {
            require(r.wireBytes == bytes, "a job description decoded from non-canonical bytes")
        }
        if let m = try? Market.Signed<Market.JobRequest>(payload: bytes) {
            require(m.payload == bytes && m.body.wireBytes == m.bodyBytes, "a signed job request decoded from non-canonical bytes")
            if m.isValid { require(Seeds.signedRequests.contains(m.payload), "a job request not signed by its requester verified") }
        }
    }

    /// Session handshake frames: a responder given a hello and a finish, and an initiator given
    /// a reply, all from the input; refused with an error or answered, but never a session
    /// with a peer that did not sign its part (nobody holds the keys the fuzzer would need).
    static func handshake(_ bytes: [UInt8]) {
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        let (first, second) = (Array(bytes[..<cut]), Array(bytes[cut...]))
        var responder = HandshakeStateMachine(role: .responder, identity: Seeds.provider)
        var actions = responder.start() + responder.receive(first) + responder.receive(second)
        var initiator = HandshakeStateMachine(role: .initiator(expectedPeer: nil), identity: Seeds.requester)
        actions += initiator.start() + initiator.receive(bytes)
        for a in actions {
            if case .established = a { fatalError("a handshake was established from unsigned frames") }
        }
    }

    /// HTTP request bodies of the completion routes, decoded and planned as the routes do:
    /// a plan of 1…8 jobs, or an `OpenAIError` that is a 4xx with a message.
    static func http(_ bytes: [UInt8]) {
        func judge(_ plan: () throws(OpenAIError) -> Int) {
            do {
                let jobs = try plan()
                require((1...8).contains(jobs), "a body planned \(jobs) jobs")
            } catch {
                require((400..<500).contains(error.status) && !error.error.message.isEmpty, "a body refused with \(error.status)")
            }
        }
        judge { () throws(OpenAIError) -> Int in try RequestBodyCheck.chat(bytes) }
        judge { () throws(OpenAIError) -> Int in try RequestBodyCheck.completion(bytes) }
    }
}
