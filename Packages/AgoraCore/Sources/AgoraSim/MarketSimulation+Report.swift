import AgoraCrypto
import AgoraMarket

extension MarketSimulation {
    /// Computes the report from the nodes' ledgers and the recorded notifications.
    mutating func finish() {
        var paid: [Market.JobKey: Int] = [:]
        var passes: Set<[UInt8]> = []  // validator key ‖ record hash of passing attestations
        for n in nodes {
            for (kind, body) in n.ledger.bodies {
                switch Market.LedgerKind(rawValue: kind) {
                case .receipt:
                    guard let r = try? Market.Receipt(wireBytes: body) else { continue }
                    switch r.outcome {
                    case .paid: paid[Market.JobKey(requester: r.requester, jobID: r.jobID), default: 0] += 1
                    case .timedOut: report.timeoutReceipts += 1
                    case .failedVerification: report.failedVerificationReceipts += 1
                    }
                case .attestation:
                    guard let a = try? Market.Attestation(wireBytes: body) else { continue }
                    if a.verdict.passed {
                        report.attestationsPassed += 1
                        passes.insert(a.validator.bytes + a.resultRecordHash.bytes)
                    } else {
                        report.attestationsFailed += 1
                    }
                case .result, .evidence, nil:
                    break
                }
            }
        }
        var latencies: [Market.Millis] = []
        var marketLatencies: [Market.Millis] = []
        for job in jobs {
            if job.cancelled {
                report.cancelled += 1
                let key = job.jobID.map { Market.JobKey(requester: nodes[job.requester].instance.nodeID, jobID: $0) }
                if job.completions > 0 || key.flatMap({ paid[$0] }) != nil { report.cancelledButPaidOrCompleted += 1 }
                continue
            }
            switch job.completions {
            case 0: report.neverCompleted += 1
            case 1: report.completedOnce += 1
            default: report.completedMoreThanOnce += 1
            }
            if let at = job.completedAt {
                latencies.append(at - job.submitAt)
                marketLatencies.append(at - job.submitAt - min(at - job.submitAt, job.lastRunMillis))
            }
            guard let id = job.jobID else { report.unpaid += 1; continue }
            let key = Market.JobKey(requester: nodes[job.requester].instance.nodeID, jobID: id)
            switch paid[key] ?? 0 {
            case 0: report.unpaid += 1
            case 1: report.paidOnce += 1
            default: report.paidMoreThanOnce += 1
            }
            if paid[key] != nil, !job.outputCorrect { report.wrongOutputsPaid += 1 }
            if job.stream, job.completions > 0 {
                report.streamedJobs += 1
                // The preview a client saw must be the verified text.
                if job.streamed != job.outputText { report.streamMismatches += 1 }
            }
        }
        if scenario.verificationLevel > 0 {
            // Every paid receipt must name enough validators whose passing attestation for
            // exactly that result record is in their ledgers.
            for n in nodes {
                for (kind, body) in n.ledger.bodies where kind == Market.LedgerKind.receipt.rawValue {
                    guard let r = try? Market.Receipt(wireBytes: body), r.outcome == .paid else { continue }
                    let ok = r.validators.filter { passes.contains($0.bytes + r.resultRecordHash.bytes) }.count
                    if ok < Int(scenario.verificationLevel) { report.unverifiedPaid += 1 }
                }
            }
        }
        marketLatencies.sort()
        if !marketLatencies.isEmpty { report.marketLatencyP50 = marketLatencies[marketLatencies.count / 2] }
        latencies.sort()
        if !latencies.isEmpty {
            report.latencyP50 = latencies[latencies.count / 2]
            report.latencyP99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        }
        for (slot, behaviour) in scenario.cheaters.enumerated() {
            let i = slot + 1
            guard i < nodes.count else { continue }
            let runs = runsByNode[i] ?? []
            let caught = caughtAt[i]
            let before = caught.map { c in runs.filter { $0 < c }.count } ?? runs.count
            let submitted = caught.map { c in jobs.filter { $0.submitAt < c }.count } ?? jobs.count
            report.cheaters.append(Sim.CheaterReport(node: i, behaviour: behaviour, runsBeforeCatch: before,
                                                     runsAfterCatch: runs.count - before, caughtAt: caught,
                                                     jobsSubmittedBeforeCatch: submitted))
        }
        for (i, n) in nodes.enumerated() where n.behaviour == .forkedLedger {
            let id = n.instance.nodeID
            for (k, other) in nodes.enumerated() where k != i && !other.down {
                report.evidencePossibleHolders += 1
                if other.instance.state.reputation.isExcluded(id) { report.evidenceHolders += 1 }
            }
        }
        report.traceHash = trace.hex
    }
}
