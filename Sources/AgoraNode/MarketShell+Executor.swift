import AgoraCrypto
import AgoraExecutor
import AgoraLedger
import AgoraLedgerStore
import AgoraMarket
import Foundation

/// The executor's side of the market shell: running awarded jobs (token text streamed to
/// the market as it comes), running checks, appending results and attestations to the
/// ledger. Each reports back to the market core as an event.
extension MarketShell {
    func runJob(_ spec: Market.JobSpec) {
        journal.record(JobRecord(jobID: spec.key.jobID.hex, role: "provider", state: "running", requester: spec.key.requester.hex,
                                 provider: identity.publicKey.hex, price: nil, latencyMs: nil, verification: "-", attempts: 0,
                                 createdUnixMs: Int64(NodeClock.unixMillis())))
        guard let engine = models.engine(for: spec.modelID) else {
            Task { await self.handle(.executionFailed(spec.key)) }
            return
        }
        let key = spec.key
        runCounter += 1
        let run = runCounter
        // Token texts go to the market in order; it streams them to the requester as previews
        // (and as proof of progress). A run cancelled and replaced by a new award of the same
        // job reports nothing more.
        let (pieces, sink) = AsyncStream<String>.makeStream()
        Task {
            for await text in pieces where self.isCurrent(key, run) { await self.handle(.generated(key, text: Array(text.utf8))) }
        }
        running[spec.key] = (run, Task {
            let started = NodeClock.unixMillis()
            defer { sink.finish() }
            do {
                let output = try await ExecutorBridge.run(spec, on: engine, misbehaviour: misbehaviour,
                                                        onText: { sink.yield($0) })
                NodeMetrics.jobsServed.increment()
                guard self.isCurrent(key, run) else { return self.stopped(key, tokens: output.tokens.count) }
                self.finishedRunning(spec.key, state: "completed", started: started)
                await self.handle(.executionFinished(spec.key, output))
            } catch {
                guard self.isCurrent(key, run) else { return self.stopped(key, tokens: nil) }
                self.finishedRunning(spec.key, state: "failed", started: started)
                self.logger.warning("job failed on the executor", metadata: ["job": "\(spec.key)", "error": "\(error)"])
                await self.handle(.executionFailed(spec.key))
            }
        })
    }

    func isCurrent(_ key: Market.JobKey, _ run: UInt64) -> Bool { running[key]?.run == run }

    /// A run the market cancelled has stopped: how long the executor took to let go of it.
    func stopped(_ key: Market.JobKey, tokens: Int?) {
        guard let asked = stopRequested.removeValue(forKey: key) else { return }
        let now = NodeClock.unixMillis()
        let ms = now &- asked
        NodeMetrics.cancelStop.recordMilliseconds(Int64(ms))
        logger.info("job stopped: cancelled by the market", metadata: [
            "job": "\(key.jobID.hex.prefix(16))", "stopped_after_ms": "\(ms)", "at_ms": "\(now)",
            "outcome": "\(tokens.map { "finished first (\($0) tokens)" } ?? "executor stopped")"])
    }

    func finishedRunning(_ key: Market.JobKey, state: String, started: UInt64) {
        running[key] = nil
        journal.update(key.jobID.hex, role: "provider") {
            $0.state = state
            $0.latencyMs = Double(NodeClock.unixMillis() - started)
        }
    }

    func verify(_ spec: Market.VerificationSpec) {
        journal.record(JobRecord(jobID: spec.ticket.hex, role: "validator", state: "checking", requester: "-", provider: nil,
                                 price: nil, latencyMs: nil, verification: "pending", attempts: 0,
                                 createdUnixMs: Int64(NodeClock.unixMillis())))
        guard let engine = models.engine(for: spec.modelID) else {
            Task { await self.handle(.verificationAbandoned(ticket: spec.ticket, .unreadableInput)) }
            return
        }
        Task {
            let started = NodeClock.unixMillis()
            var outcome = await ExecutorBridge.verify(spec, on: engine)
            // The testnet's lying validator fails every result it checked.
            if self.misbehaviour == .lyingValidator, case .checked = outcome { outcome = .checked(.fail(.tokenMismatch, position: 0)) }
            let mode = engine.verificationMode(claimedArithmetic: ExecutorBridge.claimedArithmetic(spec, ownArithmetic: engine.arithmetic))
            switch outcome {
            case .checked(let verdict):
                (mode == .exact ? NodeMetrics.exactVerifications : NodeMetrics.tolerantVerifications).increment()
                self.logger.info("checked a result", metadata: ["ticket": "\(spec.ticket.hex.prefix(16))",
                                                                "verdict": "\(verdict.passed ? "pass" : "fail")", "check": "\(mode)"])
                self.journalValidation(spec.ticket.hex, verdict: verdict.passed ? "pass" : "fail", started: started)
                await self.handle(.verificationFinished(ticket: spec.ticket, verdict))
            case .couldNotCheck(let reason, let detail):
                NodeMetrics.checksAbandoned.increment()
                self.logger.notice("could not check a result (nothing attested)",
                                   metadata: ["ticket": "\(spec.ticket.hex.prefix(16))", "reason": "\(reason.rawValue)",
                                              "error": "\(detail)"])
                self.journalValidation(spec.ticket.hex, verdict: "could not check", started: started)
                await self.handle(.verificationAbandoned(ticket: spec.ticket, reason))
            }
        }
    }

    func journalValidation(_ id: String, verdict: String, started: UInt64) {
        journal.update(id, role: "validator") {
            $0.state = verdict == "could not check" ? "abandoned" : "attested"
            $0.verification = verdict
            $0.latencyMs = Double(NodeClock.unixMillis() - started)
        }
    }

    func appendLedger(_ append: Market.LedgerAppend) {
        guard let kind = Ledger.Kind(rawValue: append.kind.rawValue) else {
            logger.error("market asked for an unknown ledger kind \(append.kind.rawValue)")
            return
        }
        let ledger = self.ledger
        Task {
            do {
                let entry = try await ledger.append(kind: kind, body: append.body)
                NodeMetrics.ledgerAppends.increment()
                let checkpoint = try await ledger.checkpoint()
                let proof = try ledger.database.inclusionProof(seq: entry.seq, treeSize: checkpoint.checkpoint.size)
                let entryProof = Market.EntryProof(entry: entry.encoded, checkpoint: checkpoint.note, proof: proof.wireBytes)
                await self.handle(.ledgerAppended(append.ticket, entryProof))
            } catch {
                self.logger.error("ledger append failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
