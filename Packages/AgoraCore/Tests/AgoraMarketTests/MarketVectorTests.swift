import AgoraJob
import AgoraCrypto
import AgoraWire
import Foundation
import Testing
@testable import AgoraMarket

/// The hex vectors of Protocol.md §7 are regenerated here and compared with the document,
/// so the spec and the code cannot drift. Set `AGORA_PRINT_VECTORS=1` to print them.
@Suite struct MarketVectorTests {
    static let requester = MarketWorld.identity(1)
    static let provider = MarketWorld.identity(2)
    static let validator = MarketWorld.identity(4)
    static let jobID = Market.JobID(bytes: Array(0..<16))!
    static let model = SHA256.hash(Array("model-a".utf8))
    static let t0: Market.Millis = 1_767_225_600_000  // 2026-01-01T00:00:00Z

    /// Every vector, by name, in document order.
    static func vectors() throws -> [(String, [UInt8])] {
        var v: [(String, [UInt8])] = []
        let salt = [UInt8](repeating: 0x11, count: 32)
        let outSalt = [UInt8](repeating: 0x22, count: 32)
        let prompt = Array("hello".utf8)
        let job = GenerationRequest(prompt: .chat([ChatMessage(role: "user", content: "hello")]),
                                    parameters: SamplingParameters(temperature: 0.7, topK: 40, topP: 0.95, seed: 7, maxTokens: 64,
                                                                   stop: ["\n"]))
        v.append(("job", job.wireBytes))
        let jobFull = GenerationRequest(prompt: .text("hello"), parameters: SamplingParameters(
            temperature: 0, topK: 0, topP: 1, seed: 0, maxTokens: 16, stop: [], presencePenalty: 0.5, frequencyPenalty: -1,
            logitBias: [LogitBias(token: 2, bias: -100), LogitBias(token: 300, bias: 1.5)], topLogprobs: 3,
            grammar: "root ::= \"yes\" | \"no\""))
        v.append(("job-grammar", jobFull.wireBytes))
        v.append(("commitment", Market.Commitment.commit(prompt, salt: salt).bytes))
        v.append(("tokens-hash", Market.Commitment.tokens([1, 2, 300], salt: outSalt).bytes))
        let request = Market.Signed(signing: Market.JobRequest(
            jobID: jobID, requester: requester.publicKey, modelID: model, promptTokens: 5, maxTokens: 64, maxPrice: 20,
            deadline: t0 + 60_000, verificationLevel: 1, issuedAt: t0), with: requester)
        v.append(("job-request", request.envelope))
        let bid = Market.Signed(signing: Market.Bid(
            jobID: jobID, requestHash: request.digest, provider: provider.publicKey, requester: requester.publicKey,
            pricePer1k: 12, etaMillis: 540, queueDepth: 1, expiresAt: t0 + 5_000), with: provider)
        v.append(("bid", bid.envelope))
        let payload = Market.AwardPayload(promptSalt: salt, request: job)
        v.append(("award-payload", payload.wireBytes))
        let sealed = try SealedBox.seal(payload.wireBytes, to: provider.x25519PublicKey,
                                        ephemeralSeed: [UInt8](repeating: 0x33, count: 32))
        let award = Market.Signed(signing: Market.Award(
            jobID: jobID, bidHash: bid.digest, requester: requester.publicKey, provider: provider.publicKey, awardedAt: t0 + 300,
            completeBy: t0 + 2_300, promptCommitment: Market.Commitment.commit(job.wireBytes, salt: salt), sealedPayload: sealed),
            with: requester)
        v.append(("award", award.envelope))
        let tokens: [UInt32] = [1, 2, 300]
        let text = Array("hi!".utf8)
        let record = Market.ResultRecord(
            jobID: jobID, requester: requester.publicKey, provider: provider.publicKey, modelID: model,
            promptCommitment: Market.Commitment.commit(job.wireBytes, salt: salt), outputCommitment: Market.Commitment.commit(text, salt: outSalt),
            outputTokenCount: 3, outputTokensHash: Market.Commitment.tokens(tokens, salt: outSalt), fingerprint: Array("llama.cpp/0c1e570".utf8),
            pricePer1k: 12, credits: 1, awardedAt: t0 + 300, startedAt: t0 + 310, finishedAt: t0 + 820)
        v.append(("result-record", record.wireBytes))
        let output = Market.OutputPayload(outputSalt: outSalt, tokens: tokens, text: text)
        v.append(("output-payload", output.wireBytes))
        let boxed = try Box.seal(output.wireBytes, from: provider, to: requester.publicKey, nonce: [UInt8](repeating: 0x44, count: 24))
        let proof = Market.EntryProof(entry: [0xe1], checkpoint: [0xc1], proof: [0xb1])
        let result = Market.Signed(signing: Market.ResultMessage(
            jobID: jobID, requester: requester.publicKey, provider: provider.publicKey, awardHash: award.digest, record: record,
            entryProof: proof, sealedOutput: boxed), with: provider)
        v.append(("result", result.envelope))
        let receipt = Market.Receipt(jobID: jobID, requester: requester.publicKey, provider: provider.publicKey,
                                     resultRecordHash: SHA256.hash(record.wireBytes), outcome: .paid, credits: 1,
                                     validators: [validator.publicKey], issuedAt: t0 + 900)
        v.append(("receipt", receipt.wireBytes))
        let attestation = Market.Attestation(jobID: jobID, requester: requester.publicKey, provider: provider.publicKey,
                                             validator: validator.publicKey, resultRecordHash: SHA256.hash(record.wireBytes),
                                             modelID: model, verdict: .fail(.tokenMismatch, position: 2), issuedAt: t0 + 1_200)
        v.append(("attestation", attestation.wireBytes))
        let attMsg = Market.Signed(signing: Market.AttestationMessage(attestation: attestation, entryProof: proof), with: validator)
        v.append(("attestation-message", attMsg.envelope))
        let cancel = Market.Signed(signing: Market.Cancel(jobID: jobID, requester: requester.publicKey, provider: provider.publicKey,
                                                          issuedAt: t0 + 1_000), with: requester)
        v.append(("cancel", cancel.envelope))
        let decline = Market.Signed(signing: Market.Decline(jobID: jobID, provider: provider.publicKey, requester: requester.publicKey,
                                                           awardHash: award.digest, reason: .executionFailed, issuedAt: t0 + 400),
                                    with: provider)
        v.append(("decline", decline.envelope))
        let boxedInput = try Box.seal(payload.wireBytes, from: provider, to: requester.publicKey, nonce: [UInt8](repeating: 0x66, count: 24))
        let reconcileInput = Market.Signed(signing: Market.ReconcileInput(jobID: jobID, requester: requester.publicKey,
                                                                          provider: provider.publicKey, awardHash: award.digest,
                                                                          sealedInput: boxedInput), with: provider)
        v.append(("reconcile-input", reconcileInput.envelope))
        let vp = Market.VerifyPayload(promptSalt: salt, request: job, outputSalt: outSalt, tokens: tokens,
                                      text: text)
        v.append(("verify-payload", vp.wireBytes))
        let vSealed = try SealedBox.seal(vp.wireBytes, to: validator.x25519PublicKey, ephemeralSeed: [UInt8](repeating: 0x55, count: 32))
        let vr = Market.Signed(signing: Market.VerifyRequest(jobID: jobID, requester: requester.publicKey, validator: validator.publicKey,
                                                            record: record, entryProof: proof, sealedPayload: vSealed,
                                                            issuedAt: t0 + 900), with: requester)
        v.append(("verify-request", vr.envelope))
        return v
    }

    /// The vectors in Protocol.md: fenced ```hex blocks preceded by `<!-- vector: name -->`.
    static func documented() throws -> [String: String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../Protocol.md")
        let text = try String(contentsOf: url.standardizedFileURL, encoding: .utf8)
        var out: [String: String] = [:]
        var name: String?
        var inBlock = false
        var hex = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let n = name, !inBlock, line.hasPrefix("```hex") { inBlock = true; hex = ""; _ = n; continue }
            if inBlock {
                if line.hasPrefix("```") { out[name!] = hex; inBlock = false; name = nil } else { hex += line.filter { !$0.isWhitespace } }
                continue
            }
            if line.hasPrefix("<!-- vector: "), let end = line.range(of: " -->") {
                name = String(line[line.index(line.startIndex, offsetBy: 13)..<end.lowerBound])
            }
        }
        return out
    }

    static func wrapped(_ bytes: [UInt8]) -> String {
        let hex = Hex.encode(bytes)
        return stride(from: 0, to: hex.count, by: 64).map { i in
            let a = hex.index(hex.startIndex, offsetBy: i)
            return String(hex[a..<hex.index(a, offsetBy: min(64, hex.count - i))])
        }.joined(separator: "\n")
    }

    @Test func protocolDocumentVectorsMatchTheCode() throws {
        let generated = try Self.vectors()
        if ProcessInfo.processInfo.environment["AGORA_PRINT_VECTORS"] != nil {
            for (name, bytes) in generated { print("<!-- vector: \(name) -->\n```hex\n\(Self.wrapped(bytes))\n```\n") }
        }
        let doc = try Self.documented()
        for (name, bytes) in generated {
            #expect(doc[name] == Hex.encode(bytes), "Protocol.md vector \(name) differs from the code:\n\(Self.wrapped(bytes))")
        }
    }

    /// Every vector decodes back to the value it encodes, and signed ones verify.
    @Test func vectorsRoundTrip() throws {
        let v = Dictionary(uniqueKeysWithValues: try Self.vectors())
        let request = try Market.Signed<Market.JobRequest>(envelope: v["job-request"]!)
        #expect(request.isValid && request.body.maxTokens == 64 && request.body.verificationLevel == 1)
        #expect(try Market.Signed<Market.Bid>(envelope: v["bid"]!).isValid)
        let award = try Market.Signed<Market.Award>(envelope: v["award"]!)
        #expect(award.isValid)
        let opened = try Market.AwardPayload(wireBytes: SealedBox.open(award.body.sealedPayload, with: Self.provider))
        #expect(opened.request.prompt == .chat([ChatMessage(role: "user", content: "hello")]))
        let result = try Market.Signed<Market.ResultMessage>(envelope: v["result"]!)
        #expect(result.isValid && result.body.recordBytes == v["result-record"]!)
        let out = try Market.OutputPayload(wireBytes: Box.open(result.body.sealedOutput, from: Self.provider.publicKey, with: Self.requester))
        #expect(out.wireBytes == v["output-payload"]!)
        #expect(try Market.Receipt(wireBytes: v["receipt"]!).wireBytes == v["receipt"]!)
        #expect(try Market.Attestation(wireBytes: v["attestation"]!).verdict == .fail(.tokenMismatch, position: 2))
        #expect(try Market.Signed<Market.AttestationMessage>(envelope: v["attestation-message"]!).isValid)
        #expect(try Market.Signed<Market.Cancel>(envelope: v["cancel"]!).isValid)
        #expect(try Market.Signed<Market.ReconcileInput>(envelope: v["reconcile-input"]!).isValid)
        #expect(try Market.Signed<Market.Decline>(envelope: v["decline"]!).isValid)
        let vr = try Market.Signed<Market.VerifyRequest>(envelope: v["verify-request"]!)
        #expect(vr.isValid)
        #expect(try SealedBox.open(vr.body.sealedPayload, with: Self.validator) == v["verify-payload"]!)
    }

    /// Decoders refuse non-canonical and out-of-range fields.
    @Test func decodersRejectBadFields() throws {
        let v = Dictionary(uniqueKeysWithValues: try Self.vectors())
        var att = v["attestation"]!
        att[0] = 2                                                    // unknown format
        #expect(throws: WireError.self) { try Market.Attestation(wireBytes: att) }
        var receipt = v["receipt"]!
        receipt[1 + 16 + 32 + 32 + 32] = 9                            // unknown outcome
        #expect(throws: WireError.self) { try Market.Receipt(wireBytes: receipt) }
        #expect(throws: WireError.self) { try Market.Receipt(wireBytes: v["receipt"]! + [0]) }
        let request = try Market.Signed<Market.JobRequest>(envelope: v["job-request"]!)
        var body = request.body
        body.verificationLevel = 9
        #expect(throws: WireError.self) { try Market.JobRequest(wireBytes: body.wireBytes) }
        body.verificationLevel = 1
        body.maxTokens = 0
        #expect(throws: WireError.self) { try Market.JobRequest(wireBytes: body.wireBytes) }
    }
}
