import Metrics

/// The node's own metrics (swift-metrics; `/metrics` exports them in Prometheus format).
enum NodeMetrics {
    static let gossipDropped = Counter(label: "agora_gossip_dropped_total")
    static let sessionErrors = Counter(label: "agora_session_errors_total")
    static let jobsSubmitted = Counter(label: "agora_jobs_submitted_total")
    static let jobsCompleted = Counter(label: "agora_jobs_completed_total")
    static let jobsFailed = Counter(label: "agora_jobs_failed_total")
    static let jobsServed = Counter(label: "agora_jobs_served_total")
    static let marketRejections = Counter(label: "agora_market_rejections_total")
    /// Checks run to a verdict, by how they compared (`check`: `exact` when the provider is of
    /// this node's arithmetic class, else `tolerant`).
    static let exactVerifications = Counter(label: "agora_verifications_total", dimensions: [("check", "exact")])
    static let tolerantVerifications = Counter(label: "agora_verifications_total", dimensions: [("check", "tolerant")])
    /// Checks this node could not run (busy, cancelled, out of memory): nothing attested.
    static let checksAbandoned = Counter(label: "agora_checks_abandoned_total")
    static let ledgerAppends = Counter(label: "agora_ledger_appends_total")
    static let evidence = Counter(label: "agora_equivocation_evidence_total")
    static let consistencyProofsServed = Counter(label: "agora_consistency_proofs_served_total")
    static let jobLatency = Timer(label: "agora_job_latency_seconds")
    /// Seconds the executor spent generating jobs and checking other nodes' results.
    static let generatingSeconds = FloatingPointCounter(label: "agora_executor_busy_seconds_total", dimensions: [("work", "generate")])
    static let checkingSeconds = FloatingPointCounter(label: "agora_executor_busy_seconds_total", dimensions: [("work", "check")])
    /// From the market cancelling a running job to the executor letting go of it.
    static let cancelStop = Timer(label: "agora_job_cancel_stop_seconds")
}
