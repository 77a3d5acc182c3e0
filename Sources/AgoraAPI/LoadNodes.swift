import Foundation

/// What one Agora node said at one moment of a load run (`GET /api/peers`, `/api/jobs`,
/// `/metrics`): its reputation of every other member and the checks it ran.
public struct NodeSnapshot: Sendable, Equatable {
    /// The node's base URL as given.
    public var url: String
    /// The node's own id (the member marked `self` in `/api/peers`).
    public var nodeID: String?
    /// Reputation this node holds of each other member, by node id.
    public var reputations: [String: Double]
    /// Job ids of the checks this node ran whose verdict was `fail` (`/api/jobs`, role `validator`).
    public var failedChecks: Set<String>
    /// Records `/api/jobs` listed (the node keeps its newest 500).
    public var jobsListed: Int
    /// `agora_verifications_total` from `/metrics`: checks run since the node started (0 when
    /// `/metrics` was read without it: a counter never incremented is not exported yet).
    public var checksTotal: Double?
    /// `agora_checks_abandoned_total` from `/metrics`: checks it could not run (busy, cancelled, …).
    public var abandonedTotal: Double?
    /// Why the node could not be read, if it could not.
    public var error: String?

    /// The journal size of a node: with this many records listed, older ones may be gone.
    public static let journalLimit = 500

    /// A node that could not be read.
    public static func unreachable(url: String, error: String) -> NodeSnapshot {
        NodeSnapshot(url: url, nodeID: nil, reputations: [:], failedChecks: [], jobsListed: 0, checksTotal: nil,
                     abandonedTotal: nil, error: error)
    }

    private struct Peer: Decodable {
        let nodeID: String
        let reputation: Double?
        let isSelf: Bool?
        enum CodingKeys: String, CodingKey { case nodeID = "node_id", reputation, isSelf = "self" }
    }

    private struct Job: Decodable {
        let jobID: String
        let role: String?
        let verification: String?
        enum CodingKeys: String, CodingKey { case jobID = "job_id", role, verification }
    }

    /// Reads the bodies of `/api/peers` (required), `/api/jobs` and `/metrics` (optional).
    public static func parse(url: String, peers: Data, jobs: Data?, metrics: String?) -> NodeSnapshot {
        guard let members = try? JSONDecoder().decode([Peer].self, from: peers) else {
            return unreachable(url: url, error: "/api/peers is not a list of peers")
        }
        var reputations: [String: Double] = [:]
        for m in members where m.isSelf != true {
            if let r = m.reputation { reputations[m.nodeID] = r }
        }
        let records = jobs.flatMap { try? JSONDecoder().decode([Job].self, from: $0) } ?? []
        let failed = records.filter { $0.role == "validator" && $0.verification == "fail" }.map(\.jobID)
        return NodeSnapshot(url: url, nodeID: members.first { $0.isSelf == true }?.nodeID, reputations: reputations,
                            failedChecks: Set(failed), jobsListed: records.count,
                            checksTotal: metrics.map { PrometheusText.sum("agora_verifications_total", in: $0) ?? 0 },
                            abandonedTotal: metrics.map { PrometheusText.sum("agora_checks_abandoned_total", in: $0) ?? 0 },
                            error: nil)
    }
}

/// Reading Prometheus text exposition.
public enum PrometheusText {
    /// The sum of every sample of `metric` (any labels) in `text`; nil when it has none.
    public static func sum(_ metric: String, in text: String) -> Double? {
        var total: Double?
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(metric) {
            let rest = line.dropFirst(metric.count)
            guard let next = rest.first, next == " " || next == "{" else { continue }  // not a longer name
            var valuePart = rest
            if next == "{" {
                guard let close = rest.lastIndex(of: "}") else { continue }
                valuePart = rest[rest.index(after: close)...]
            }
            // `value` or `value timestamp`.
            guard let field = valuePart.split(separator: " ").first, let value = Double(field) else { continue }
            total = (total ?? 0) + value
        }
        return total
    }
}

/// Reputations and checks on the Agora nodes of a load run, before and after it.
public struct NodesReport: Sendable, Codable {
    /// One node.
    public struct Node: Sendable, Codable, Equatable {
        /// Base URL.
        public var url: String
        /// Its node id, if it answered.
        public var nodeID: String?
        /// Why it could not be read before the run.
        public var errorBefore: String?
        /// Why it could not be read after the run.
        public var errorAfter: String?
        /// Checks it ran during the run (`agora_verifications_total` after − before).
        public var checksRun: Double?
        /// Checks it could not run during the run (`agora_checks_abandoned_total` after − before).
        public var checksAbandoned: Double?
        /// Checks it ran during the run with verdict `fail`.
        public var failedChecks: Int?
        /// Whether its job list was full after the run, so failed checks may be undercounted.
        public var journalFull: Bool

        enum CodingKeys: String, CodingKey {
            case url, nodeID = "node_id", errorBefore = "error_before", errorAfter = "error_after",
                 checksRun = "checks_run", checksAbandoned = "checks_abandoned", failedChecks = "failed_checks", journalFull = "journal_full"
        }
    }

    /// What the nodes think of one provider.
    public struct Provider: Sendable, Codable, Equatable {
        /// The provider's node id.
        public var provider: String
        /// Nodes that reported a reputation for it before the run.
        public var observersBefore: Int
        /// … after the run.
        public var observersAfter: Int
        /// Lowest reputation any node held of it before the run.
        public var minBefore: Double?
        /// … after the run.
        public var minAfter: Double?
        /// Highest minus lowest reputation among the nodes before the run.
        public var spreadBefore: Double?
        /// … after the run.
        public var spreadAfter: Double?

        enum CodingKeys: String, CodingKey {
            case provider, observersBefore = "observers_before", observersAfter = "observers_after",
                 minBefore = "min_before", minAfter = "min_after", spreadBefore = "spread_before", spreadAfter = "spread_after"
        }
    }

    /// The nodes, in the order given.
    public var nodes: [Node]
    /// Every member any node holds a reputation of, by id.
    public var providers: [Provider]
    /// Reputation matrix before the run: observer (node id, or URL when unknown) → provider → reputation.
    public var reputationsBefore: [String: [String: Double]]
    /// … after the run.
    public var reputationsAfter: [String: [String: Double]]
    /// Failed checks summed over the nodes.
    public var failedChecks: Int
    /// What `failedChecks` counts.
    public var note: String

    enum CodingKeys: String, CodingKey {
        case nodes, providers, reputationsBefore = "reputations_before", reputationsAfter = "reputations_after",
             failedChecks = "failed_checks", note
    }

    /// Explains `failedChecks`.
    public static let failedChecksNote = "checks (role validator in /api/jobs) that got verdict \"fail\" during the run; "
        + "when every provider is honest each is a false rejection. /metrics counts checks run "
        + "(agora_verifications_total) and abandoned (agora_checks_abandoned_total), not their verdicts."

    /// Compares snapshots taken before and after the run (matched by URL).
    public init(before: [NodeSnapshot], after: [NodeSnapshot]) {
        func matrix(_ snapshots: [NodeSnapshot]) -> [String: [String: Double]] {
            var m: [String: [String: Double]] = [:]
            for s in snapshots where s.error == nil { m[s.nodeID ?? s.url] = s.reputations }
            return m
        }
        reputationsBefore = matrix(before)
        reputationsAfter = matrix(after)
        let afterByURL = Dictionary(after.map { ($0.url, $0) }, uniquingKeysWith: { first, _ in first })
        var urls = before.map(\.url)
        for s in after where !urls.contains(s.url) { urls.append(s.url) }
        let beforeByURL = Dictionary(before.map { ($0.url, $0) }, uniquingKeysWith: { first, _ in first })
        nodes = urls.map { url in
            let b = beforeByURL[url], a = afterByURL[url]
            let bothRead = b?.error == nil && a?.error == nil && b != nil && a != nil
            var checksRun: Double?
            if bothRead, let x = b?.checksTotal, let y = a?.checksTotal { checksRun = y - x }
            var abandoned: Double?
            if bothRead, let x = b?.abandonedTotal, let y = a?.abandonedTotal { abandoned = y - x }
            var failed: Int?
            if bothRead, let b, let a { failed = a.failedChecks.subtracting(b.failedChecks).count }
            return Node(url: url, nodeID: a?.nodeID ?? b?.nodeID,
                        errorBefore: b == nil ? "not read" : b?.error, errorAfter: a == nil ? "not read" : a?.error,
                        checksRun: checksRun, checksAbandoned: abandoned, failedChecks: failed,
                        journalFull: (a?.jobsListed ?? 0) >= NodeSnapshot.journalLimit)
        }
        let ids = Set(reputationsBefore.values.flatMap(\.keys)).union(reputationsAfter.values.flatMap(\.keys))
        let before = reputationsBefore, after = reputationsAfter
        providers = ids.sorted().map { id in
            let b = before.values.compactMap { $0[id] }, a = after.values.compactMap { $0[id] }
            return Provider(provider: id, observersBefore: b.count, observersAfter: a.count,
                            minBefore: b.min(), minAfter: a.min(),
                            spreadBefore: b.max().flatMap { mx in b.min().map { mx - $0 } },
                            spreadAfter: a.max().flatMap { mx in a.min().map { mx - $0 } })
        }
        failedChecks = nodes.compactMap(\.failedChecks).reduce(0, +)
        note = Self.failedChecksNote
    }

    /// The nodes' part of the text report.
    public func text() -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        var lines = ["reputation the nodes hold of each member (min and spread across observers), before → after"]
        lines.append(LoadText.table([["member", "observers", "min before", "min after", "spread before", "spread after"]]
            + providers.map { p in
                [String(p.provider.prefix(12)), "\(p.observersBefore) → \(p.observersAfter)", f(p.minBefore), f(p.minAfter),
                 f(p.spreadBefore), f(p.spreadAfter)]
            }))
        lines.append("")
        lines.append(LoadText.table([["node", "id", "checks run", "abandoned", "failed checks", "note"]] + nodes.map { n in
            var note: [String] = []
            if let e = n.errorBefore { note.append("before: \(e)") }
            if let e = n.errorAfter { note.append("after: \(e)") }
            if n.journalFull { note.append("job list full: failed checks may be undercounted") }
            return [n.url, n.nodeID.map { String($0.prefix(12)) } ?? "-", n.checksRun.map { LoadText.number($0) } ?? "-",
                    n.checksAbandoned.map { LoadText.number($0) } ?? "-",
                    n.failedChecks.map(String.init) ?? "-", note.isEmpty ? "" : note.joined(separator: "; ")]
        }))
        lines.append("failed checks: \(failedChecks)")
        lines.append("  (\(note))")
        return lines.joined(separator: "\n")
    }
}
