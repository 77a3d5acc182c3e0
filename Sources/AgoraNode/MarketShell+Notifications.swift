import AgoraCrypto
import AgoraLedger
import AgoraMarket

extension MarketShell {
    /// What the market tells this node's user: completed jobs go to their waiting callers as
    /// `CompletedJob`s built from the market's own facts; failures and cancellations end them.
    func notify(_ n: Market.Notification) {
        switch n {
        case .jobCompleted(let id, let provider, let output, let credits, let verifiedBy):
            NodeMetrics.jobsCompleted.increment()
            let phases = instance.timeline(id)?.phases
            let latency = Double(phases?.total ?? 0)
            NodeMetrics.jobLatency.recordMilliseconds(Int64(latency))
            // The job's facts are the market's: its request and its accepted result.
            let request = instance.request(id)
            streams[id] = nil
            let entry = instance.acceptedResult(id).flatMap { try? Ledger.Entry(bytes: $0.entryProof.entry) }
            let verification = verifiedBy.isEmpty ? "proof-verified" : "attested-pass"
            let attempts = instance.jobAttempts(id)
            journal.update(id.hex, role: "requester") {
                $0.state = "paid"; $0.provider = provider.hex; $0.price = credits; $0.latencyMs = latency
                $0.verification = verification; $0.attempts = attempts
            }
            let tokens = output.tokens.count
            waiting.removeValue(forKey: id)?.resume(returning: CompletedJob(
                jobID: id.hex, text: String(decoding: output.text, as: UTF8.self), completionTokens: tokens,
                // The provider's own count when it reports one, else the submitted estimate.
                promptTokens: Int(output.promptTokens > 0 ? output.promptTokens : request?.promptTokens ?? 0),
                finishReason: tokens >= Int(request?.maxTokens ?? .max) ? "length" : "stop",
                model: request.map { modelNames[$0.modelID] ?? $0.modelID.hex } ?? "", modelID: request?.modelID.hex ?? "",
                provider: provider.hex, price: credits, ledgerEntry: entry?.hash.hex ?? "",
                ledgerSeq: entry?.seq ?? 0, verification: verification, attempts: attempts, phases: phases,
                logprobs: output.logprobs, validators: verifiedBy.map(\.hex)))
        case .jobFailed(let id, let reason):
            NodeMetrics.jobsFailed.increment()
            cleanUp(id, state: "failed: \(reason.rawValue)")
            let why = switch reason {
            case .noBids: "no provider could take it before its deadline"
            case .noExactValidator: "no provider whose result a validator of its arithmetic class could check exactly took it before its deadline"
            case .deadlinePassed: "its deadline passed before a verified result"
            }
            waiting.removeValue(forKey: id)?.resume(throwing: NodeError(.deadlinePassed, "job \(id) failed: \(why)"))
        case .jobCancelled(let id):
            cleanUp(id, state: "cancelled")
            waiting.removeValue(forKey: id)?.resume(throwing: NodeError(.cancelled, "job \(id) was cancelled"))
        case .streamText(let id, let text):
            streams[id]?(text)
        case .checkAbandoned:
            break  // logged where the executor reported it
        case .equivocation(let evidence, let reportedBy):
            NodeMetrics.evidence.increment()
            let conflict: String
            switch evidence.conflict {
            case .sameSize: conflict = "two checkpoints of one size with different roots"
            case .prefixMismatch: conflict = "its consistency proof shows a rewritten history"
            }
            logger.warning(reportedBy == nil ? "ledger equivocation detected" : "equivocation evidence received and verified",
                           metadata: ["ledger": "\(evidence.ledgerID.short)", "from": "\(reportedBy?.short ?? "self")",
                                      "conflict": "\(conflict)"])
        case .jobReconciled(let id, let provider, let credits):
            logger.info(credits == nil ? "job open at the last stop closed unpaid: no result came back, or it could not be checked, or validators failed it"
                                       : "job open at the last stop settled: its provider's delivered result was checked and paid",
                        metadata: ["job": "\(id)", "provider": "\(provider.short)", "credits": "\(credits.map(String.init) ?? "0")"])
        case .evidenceAgainstThisNode(let from):
            logger.error("a peer holds valid equivocation evidence against this node's own ledger", metadata: ["from": "\(from.short)"])
        case .providerCaught(let provider, let job, let validator):
            logger.warning("a validator caught a provider returning a wrong result",
                           metadata: ["provider": "\(provider.short)", "job": "\(job)", "validator": "\(validator.short)"])
        }
    }

    private func cleanUp(_ id: Market.JobID, state: String) {
        streams[id] = nil
        journal.update(id.hex, role: "requester") { $0.state = state }
    }
}
