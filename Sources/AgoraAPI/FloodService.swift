import AgoraExecutor
import AgoraNode
import Logging
import ServiceLifecycle

/// `Misbehaviour.flood`: a requester that keeps `FloodService.openJobs` jobs of its own open
/// at all times, far more than its share, to show that providers' fair queueing keeps
/// serving everyone else. Its jobs are real (it pays for them) and checked by one validator,
/// like the testnet's own (a lie told to them is caught too); it serves nothing itself.
struct FloodService: Service {
    /// Jobs kept open at once.
    static let openJobs = 32
    let node: NodeRuntime
    let logger: Logger

    func run() async throws {
        // Membership forms first: a job submitted before any provider is known is refused.
        try? await Task.sleep(for: .seconds(5))
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for worker in 0..<Self.openJobs {
                    group.addTask { await flood(worker) }
                }
            }
        }
    }

    private func flood(_ worker: Int) async {
        var sent = 0, failed = 0
        while !Task.isCancelled {
            sent += 1
            let job = NodeJob(model: nil, request: .chat("Flood \(worker)-\(sent): say one word.", parameters: .greedy(maxTokens: 8)),
                              verificationLevel: 1)
            do {
                _ = try await node.submit(job)
            } catch {
                failed += 1
                if failed % 20 == 1 { logger.info("flood job failed", metadata: ["worker": "\(worker)", "error": "\(error)"]) }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
