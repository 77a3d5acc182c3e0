import AgoraAPI
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Carries out a chaos plan's fault schedule on a running testnet: SIGKILL and restart,
/// SIGSTOP and SIGCONT, and (each node in its own namespace) partitions and packet loss and
/// delay with `tc netem`. Faults that need namespaces are skipped, and said so, without them.
final class ChaosFaults: Sendable {
    let plan: ChaosPlan
    let net: Testnet
    let log: @Sendable (String) -> Void
    private struct State {
        var paused: Set<Int> = []
        var kills: [(node: Int, at: Double, restartedAt: Double?)] = []
        /// The netem every link has now (nil: none).
        var netem: String?
    }
    private let state = Mutex(State())

    init(plan: ChaosPlan, net: Testnet, log: @escaping @Sendable (String) -> Void) {
        self.plan = plan; self.net = net; self.log = log
    }

    /// Nodes stopped or cut off now.
    var paused: Set<Int> { state.withLock { $0.paused } }
    /// The SIGKILLs so far.
    var kills: [(node: Int, at: Double, restartedAt: Double?)] { state.withLock { $0.kills } }

    /// Runs every fault at its time (seconds since `start`) and undoes each after its duration;
    /// returns when all are done and undone.
    func run(since start: ContinuousClock.Instant) async {
        let clock = ContinuousClock()
        func now() -> Double { ChaosRun.seconds(start.duration(to: clock.now)) }
        await withTaskGroup(of: Void.self) { group in
            for fault in plan.faults.sorted(by: { $0.at < $1.at }) {
                group.addTask {
                    try? await Task.sleep(until: start + .milliseconds(Int64(fault.at * 1000)), clock: clock)
                    await self.apply(fault, now: now)
                }
            }
        }
        clearNetem()
    }

    private func apply(_ f: ChaosPlan.Fault, now: () -> Double) async {
        if f.needsNamespaces, !net.netns {
            log(String(format: "%6.1f s  skipped %@ (needs --netns)", f.at, f.kind.rawValue))
            return
        }
        switch f.kind {
        case .kill:
            guard let i = f.node, let pid = net.runningPID(i) else { return }
            kill(pid, SIGKILL)
            let at = now()
            state.withLock { $0.kills.append((i, at, nil)) }
            log(String(format: "%6.1f s  SIGKILL node %d%@", at, i, i == 0 ? " (the gateway, mid-request)" : ""))
            guard let d = f.duration else { return }
            try? await Task.sleep(for: .milliseconds(Int64(d * 1000)))
            do {
                // Reap it so that its pid file no longer names a live process.
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                try net.start(i)
                let back = now()
                state.withLock { s in
                    if let k = s.kills.lastIndex(where: { $0.node == i && $0.restartedAt == nil }) { s.kills[k].restartedAt = back }
                }
                log(String(format: "%6.1f s  restarted node %d", back, i))
            } catch {
                log("restart of node \(i) failed: \(error)")
            }
        case .stop:
            guard let i = f.node, let pid = net.runningPID(i), let d = f.duration else { return }
            kill(pid, SIGSTOP)
            state.withLock { _ = $0.paused.insert(i) }
            log(String(format: "%6.1f s  SIGSTOP node %d for %.0f s", now(), i, d))
            try? await Task.sleep(for: .milliseconds(Int64(d * 1000)))
            kill(pid, SIGCONT)
            state.withLock { _ = $0.paused.remove(i) }
            log(String(format: "%6.1f s  SIGCONT node %d", now(), i))
        case .partition:
            guard let nodes = f.nodes, let d = f.duration else { return }
            for i in nodes { setNetem(i, "loss 100%") }
            state.withLock { $0.paused.formUnion(nodes) }
            log(String(format: "%6.1f s  partition: nodes %@ cut off for %.0f s", now(), "\(nodes)", d))
            try? await Task.sleep(for: .milliseconds(Int64(d * 1000)))
            let base = state.withLock { $0.netem }
            for i in nodes { setNetem(i, base) }
            state.withLock { $0.paused.subtract(nodes) }
            log(String(format: "%6.1f s  partition healed", now()))
        case .netem:
            let spec = "delay \(f.delayMs ?? 0)ms loss \(f.lossPercent ?? 0)%"
            state.withLock { $0.netem = spec }
            for i in 0..<plan.nodes { setNetem(i, spec) }
            log(String(format: "%6.1f s  netem on every link: %@", now(), spec))
            guard let d = f.duration else { return }
            try? await Task.sleep(for: .milliseconds(Int64(d * 1000)))
            clearNetem()
            log(String(format: "%6.1f s  netem removed", now()))
        }
    }

    private func clearNetem() {
        guard net.netns else { return }
        state.withLock { $0.netem = nil }
        for i in 0..<plan.nodes { setNetem(i, nil) }
    }

    /// Sets (or with nil removes) a netem qdisc on both ends of node `i`'s link.
    private func setNetem(_ i: Int, _ spec: String?) {
        let tc = ["/usr/sbin/tc", "/sbin/tc", "/usr/bin/tc"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "tc"
        let ip = (try? NetworkNamespaces.ipTool()) ?? "ip"
        let host = ["qdisc", spec == nil ? "del" : "replace", "dev", "agora-h\(i)", "root"]
        let peer = ["netns", "exec", NetworkNamespaces.name(i), tc, "qdisc", spec == nil ? "del" : "replace", "dev", "eth0", "root"]
        let netem = spec.map { ["netem"] + $0.split(separator: " ").map(String.init) } ?? []
        _ = try? Spawn.run(tc, host + netem)
        _ = try? Spawn.run(ip, peer + netem)
    }
}
