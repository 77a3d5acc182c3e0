import AgoraAPI
import AgoraCrypto
import Synchronization

/// A flag one task sets and others read.
final class ChaosFlag: Sendable {
    private let state = Atomic<Bool>(false)
    func set() { state.store(true, ordering: .relaxed) }
    var isSet: Bool { state.load(ordering: .relaxed) }
}

/// The lines of what a chaos run did, in order.
final class ChaosLog: Sendable {
    private let state = Mutex<[String]>([])
    func append(_ line: String) { state.withLock { $0.append(line) } }
    var lines: [String] { state.withLock { $0 } }
}

/// Follows every node's view during a chaos run: when each killed node was held dead by all
/// the others, and when each byzantine node was excluded by every honest node.
actor ChaosWatch {
    let ids: [Int: PublicKey]
    let byzantine: Set<Int>
    let honest: [Int]
    /// Seconds from the start until every honest node excluded it, per byzantine node.
    private(set) var exclusionSeconds: [Int: Double] = [:]
    /// Per kill, seconds from the SIGKILL until every other running node held the node dead.
    private(set) var deadDetections: [Double] = []
    private var detected: Set<Int> = []   // indices into the kills list

    init(ids: [Int: PublicKey], byzantine: Set<Int>, honest: [Int]) {
        self.ids = ids; self.byzantine = byzantine; self.honest = honest
    }

    /// One round of views at `at` seconds; `paused` are nodes stopped or cut off now, `kills`
    /// the SIGKILLs so far (node, second, restarted-at second).
    /// Returns a line on the pending kills (for `AGORA_CHAOS_DEBUG`).
    @discardableResult
    func observe(_ views: [Int: [PublicKey: PeerView]], at: Double, paused away: Set<Int>,
                 kills: [(node: Int, at: Double, restartedAt: Double?)]) -> String {
        var note = "views from \(views.keys.sorted()), away \(away.sorted())"
        for b in byzantine where exclusionSeconds[b] == nil {
            guard let id = ids[b] else { continue }
            let seen = honest.filter { !away.contains($0) }.compactMap { views[$0]?[id]?.reputation }
            if seen.count >= max(1, honest.count - away.count - 1), seen.allSatisfy({ $0 < 0.3 }) { exclusionSeconds[b] = at }
        }
        for (k, kill) in kills.enumerated() where !detected.contains(k) {
            guard kill.restartedAt == nil, let id = ids[kill.node] else { continue }
            let observers = views.keys.filter { $0 != kill.node && !away.contains($0) }
            guard !observers.isEmpty else { continue }
            let dead = observers.allSatisfy { o in
                guard let state = views[o]?[id]?.state else { return true }
                return state == "dead" || state == "left"
            }
            note += "; node \(kill.node): " + observers.sorted().map { "\($0)=\(views[$0]?[id]?.state ?? "-")" }.joined(separator: " ")
            if dead {
                detected.insert(k)
                deadDetections.append(at - kill.at)
                Stderr.line(String(format: "chaos: node %d held dead by all %d running nodes %.1f s after its SIGKILL",
                                   kill.node, observers.count, at - kill.at))
            }
        }
        return note
    }
}
