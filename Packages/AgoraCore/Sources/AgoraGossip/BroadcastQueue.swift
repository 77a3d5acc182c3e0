import AgoraCrypto

extension Gossip {
    /// Updates waiting to be piggybacked or gossiped, each sent a bounded number of times
    /// (memberlist `TransmitLimitedQueue`). A newer update about a member replaces any
    /// queued one about the same member; the least-sent (then newest) go first.
    struct BroadcastQueue: Sendable {
        struct Item: Sendable {
            var update: Update
            var transmits: Int
            var order: UInt64
        }

        private(set) var items: [Item] = []
        private var counter: UInt64 = 0

        var isEmpty: Bool { items.isEmpty }
        var count: Int { items.count }

        /// Whether an update about `subject` is queued.
        func contains(_ subject: NodeID) -> Bool { items.contains { $0.update.subject == subject } }

        /// Queues `update`, replacing queued updates about the same member. A suspect
        /// confirmation does not replace the original suspicion (both spread).
        mutating func enqueue(_ update: Update) {
            let subject = update.subject
            items.removeAll { item in
                guard item.update.subject == subject else { return false }
                if case .suspect = update, case .suspect = item.update { return false }
                return true
            }
            counter += 1
            items.append(Item(update: update, transmits: 0, order: counter))
        }

        /// Takes updates fitting `budget` bytes (at most `maxCount`), counts a transmission for
        /// each and drops those sent `limit` times. `first` (if queued) goes first.
        mutating func take(budget: Int, maxCount: Int, limit: Int, first: NodeID? = nil) -> [Update] {
            guard !items.isEmpty, budget > 0 else { return [] }
            var idx = Array(items.indices)
            idx.sort { a, b in
                let x = items[a], y = items[b]
                if let first {
                    let fx = x.update.subject == first, fy = y.update.subject == first
                    if fx != fy { return fx }
                }
                if x.transmits != y.transmits { return x.transmits < y.transmits }
                return x.order > y.order
            }
            var out: [Update] = []
            var left = budget
            var spent = false
            for i in idx where out.count < maxCount {
                let size = items[i].update.encodedSize
                guard size <= left else { continue }
                left -= size
                out.append(items[i].update)
                items[i].transmits += 1
                if items[i].transmits >= limit { spent = true }
            }
            if spent { items.removeAll { $0.transmits >= limit } }
            return out
        }
    }
}
