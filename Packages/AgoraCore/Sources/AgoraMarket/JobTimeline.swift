extension Market {
    /// Where a requested job's time went, on the requester's clock: each step's time once it
    /// happened. After a failover the award, output and result times are the last provider's.
    public struct JobTimeline: Equatable, Sendable {
        /// The user submitted the job.
        public var submitted: Millis
        /// The award that produced the result (or the latest one) was sent.
        public var awarded: Millis?
        /// The first output text came from that award's provider.
        public var firstOutput: Millis?
        /// Its result arrived.
        public var resultReceived: Millis?
        /// The job was paid and delivered.
        public var completed: Millis?

        /// Creates a timeline that starts at `submitted`.
        public init(submitted: Millis) { self.submitted = submitted }

        /// Milliseconds in each phase of a completed job: auction (submitted → awarded), the
        /// provider's queue and prefill (awarded → first output, or → result when no output
        /// came before it), generation (→ result, including the provider's ledger append and
        /// the network), verification (result → completed). Nil while the job is open.
        public var phases: Phases? {
            guard let awarded, let resultReceived, let completed else { return nil }
            let first = firstOutput.map { min(max($0, awarded), resultReceived) } ?? resultReceived
            return Phases(auction: awarded &- submitted, queueAndPrefill: first &- awarded,
                          generation: resultReceived &- first, verification: completed &- resultReceived,
                          total: completed &- submitted)
        }

        /// Milliseconds a completed job spent in each phase.
        public struct Phases: Equatable, Sendable {
            public var auction: Millis
            public var queueAndPrefill: Millis
            public var generation: Millis
            public var verification: Millis
            public var total: Millis
        }
    }
}
