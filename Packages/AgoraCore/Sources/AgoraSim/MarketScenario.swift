import AgoraMarket

extension Sim {
    /// A market simulation: nodes that all serve (and validate) one model, jobs from the
    /// nodes that never crash, some providers that crash mid-job and some that cheat.
    public struct MarketScenario: Sendable {
        /// Seed of everything random in the run (same seed, same trace).
        public var seed: UInt64
        /// Number of nodes.
        public var nodes = 50
        /// Number of jobs.
        public var jobs = 1_000
        /// Share of providers that crash while running a job (and never come back).
        public var crashFraction = 0.10
        /// Cheating providers, one behaviour each (they never crash and submit no jobs).
        public var cheaters: [ProviderBehaviour] = [.alteredOutput, .otherModel]
        /// Verification level of every job.
        public var verificationLevel: UInt8 = 0
        /// Requesters' spot-check rate (level 0).
        public var spotCheckRate = 0.10
        /// Jobs arrive uniformly over this span.
        public var arrivalSpan: Market.Millis = 200_000
        /// One-way message latency range.
        public var latency: ClosedRange<Market.Millis> = 2...20
        /// Delay before a crashed node drops out of everyone's peer view (the gossip layer's
        /// failure detection, simulated).
        public var detectionDelay: Market.Millis = 3_000
        /// Job deadline after submission.
        public var deadline: Market.Millis = 120_000
        /// Share of jobs their requester cancels 1–1,500 ms after submitting (a cancel that
        /// arrives after completion is refused and the job counts as completed).
        public var cancelFraction = 0.0
        /// Share of jobs whose requester asks for the output as it is generated.
        public var streamFraction = 0.0

        /// The standard scenario for `seed`.
        public init(seed: UInt64) { self.seed = seed }
    }

    /// What one simulated cheater did.
    public struct CheaterReport: Sendable, Equatable {
        /// Node index.
        public var node: Int
        /// How it cheated.
        public var behaviour: ProviderBehaviour
        /// Jobs it ran before the first failed attestation against it.
        public var runsBeforeCatch: Int
        /// Jobs it ran after that (awards already in flight or from nodes not yet informed).
        public var runsAfterCatch: Int
        /// Simulated time of the first failed attestation (nil: never caught).
        public var caughtAt: Market.Millis?
        /// Jobs submitted network-wide before it was caught.
        public var jobsSubmittedBeforeCatch: Int
    }

    /// The outcome of a market simulation and its invariants.
    public struct MarketReport: Sendable, Equatable {
        /// The scenario's seed.
        public var seed: UInt64
        /// Nodes, jobs, crashed providers.
        public var nodes = 0, jobs = 0, crashed = 0
        /// Verification level and spot-check rate.
        public var verificationLevel: UInt8 = 0, spotCheckRate = 0.0
        /// Jobs completed exactly once / more than once / never.
        public var completedOnce = 0, completedMoreThanOnce = 0, neverCompleted = 0
        /// Jobs with exactly one / more than one / no `paid` receipt.
        public var paidOnce = 0, paidMoreThanOnce = 0, unpaid = 0
        /// Jobs that failed (notification).
        public var failed = 0
        /// Jobs cancelled by their requester, and how many of those were nevertheless paid or completed.
        public var cancelled = 0, cancelledButPaidOrCompleted = 0
        /// Receipts recording a missed deadline / a failed verification.
        public var timeoutReceipts = 0, failedVerificationReceipts = 0
        /// Paid jobs whose output was wrong (a cheater not checked before payment).
        public var wrongOutputsPaid = 0
        /// Completed jobs that streamed, and those whose streamed text was not their verified
        /// output's text.
        public var streamedJobs = 0, streamMismatches = 0
        /// Nodes holding verified equivocation evidence against a forked-ledger provider
        /// (excluding it), over the nodes that could.
        public var evidenceHolders = 0, evidencePossibleHolders = 0
        /// Paid jobs at level ≥ 1 without the required passing attestations.
        public var unverifiedPaid = 0
        /// Attestations issued (pass, fail).
        public var attestationsPassed = 0, attestationsFailed = 0
        /// Per-cheater outcome.
        public var cheaters: [CheaterReport] = []
        /// Rejections by reason, summed over nodes (sorted by reason).
        public var rejections: [String: Int] = [:]
        /// Market messages sent.
        public var messages = 0
        /// Simulated duration (ms) until the last event.
        public var simulatedMillis: Market.Millis = 0
        /// Median and 99th-percentile job latency (submit → completion), ms.
        public var latencyP50: Market.Millis = 0, latencyP99: Market.Millis = 0
        /// Median job latency minus the winning run's queue wait and execution: what the
        /// market (bidding, messages, checks, failovers) added, ms.
        public var marketLatencyP50: Market.Millis = 0
        /// SHA-256 chain over every event and directive (hex).
        public var traceHash = ""

        /// The invariants the scenario must keep.
        /// Every job not cancelled completed once and was paid once; no cancelled job was.
        public var allCompletedOnceAndPaidOnce: Bool {
            completedOnce == jobs - cancelled && paidOnce == jobs - cancelled && completedMoreThanOnce == 0
                && paidMoreThanOnce == 0 && failed == 0 && cancelledButPaidOrCompleted == 0
        }

        /// A human-readable summary.
        public var text: String {
            var s = "market simulation seed=\(seed): \(nodes) nodes, \(jobs) jobs, \(crashed) providers crashed mid-job, "
            s += "verification level \(verificationLevel), spot-check rate \(spotCheckRate)\n"
            s += "  completed exactly once: \(completedOnce)/\(jobs) (twice or more: \(completedMoreThanOnce), never: \(neverCompleted), failed: \(failed))\n"
            s += "  paid exactly once:      \(paidOnce)/\(jobs) (twice or more: \(paidMoreThanOnce), unpaid: \(unpaid))\n"
            if cancelled > 0 { s += "  cancelled: \(cancelled) (completed or paid anyway: \(cancelledButPaidOrCompleted))\n" }
            s += "  receipts: \(timeoutReceipts) timed out, \(failedVerificationReceipts) failed verification; "
            s += "attestations: \(attestationsPassed) pass, \(attestationsFailed) fail\n"
            s += "  wrong outputs paid: \(wrongOutputsPaid); paid without required attestations: \(unverifiedPaid)\n"
            for c in cheaters {
                let when = c.caughtAt.map { "caught at t=\(Double($0) / 1000) s after \(c.jobsSubmittedBeforeCatch) jobs submitted" } ?? "never caught"
                s += "  cheater #\(c.node) (\(c.behaviour.rawValue)): \(when); ran \(c.runsBeforeCatch) jobs before, \(c.runsAfterCatch) after\n"
            }
            s += "  job latency p50 \(latencyP50) ms, p99 \(latencyP99) ms (market's share at the median: \(marketLatencyP50) ms); "
            s += "\(messages) messages; simulated \(Double(simulatedMillis) / 1000) s\n"
            s += "  rejections: " + (rejections.isEmpty ? "none" : rejections.keys.sorted().map { "\($0)=\(rejections[$0]!)" }.joined(separator: ", ")) + "\n"
            s += "  trace \(traceHash)"
            return s
        }
    }
}
