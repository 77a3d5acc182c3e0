import Synchronization

/// A value delivered once by the worker thread and awaited once by a task. Unlike an
/// `AsyncStream`, awaiting it does not end early when the awaiting task is cancelled: the
/// caller cancels the job instead and still receives the job's final outcome.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(Waiter)
        case done(Value)
        case taken
    }

    private struct Waiter {
        let continuation: CheckedContinuation<Value?, Never>
        init(_ c: CheckedContinuation<Value?, Never>) { continuation = c }
    }

    private let state = Mutex<State>(.empty)

    /// Delivers the value (later deliveries are ignored).
    func deliver(_ value: Value) {
        let waiter: Waiter? = state.withLock { s in
            switch s {
            case .empty:
                s = .done(value)
                return nil
            case .waiting(let c):
                s = .taken
                return c
            case .done, .taken:
                return nil
            }
        }
        waiter?.continuation.resume(returning: value)
    }

    /// Waits for the value; nil if it was already taken.
    func value() async -> Value? {
        await withCheckedContinuation { (c: CheckedContinuation<Value?, Never>) in
            let ready: Value?? = state.withLock { s in
                switch s {
                case .done(let v):
                    s = .taken
                    return .some(v)
                case .empty:
                    s = .waiting(Waiter(c))
                    return nil
                case .waiting, .taken:
                    return .some(nil)
                }
            }
            if let ready { c.resume(returning: ready) }
        }
    }
}
