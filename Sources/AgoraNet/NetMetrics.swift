import CoreMetrics

/// The transport's swift-metrics counters. The node bootstraps the backend; tests pass
/// their own factory.
struct NetMetrics: Sendable {
    let factory: MetricsFactory

    init(factory: MetricsFactory) { self.factory = factory }

    private func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Counter {
        Counter(label: label, dimensions: dimensions, factory: factory)
    }

    /// A datagram handed to the socket.
    func datagramSent() { counter("agora_net_datagrams_sent_total").increment() }
    /// A datagram of acceptable size received (a later backlog drop is counted separately).
    func datagramReceived() { counter("agora_net_datagrams_received_total").increment() }
    /// A datagram refused or discarded; `reason` is `oversize`, `empty`, `backlog` or `send_too_large`.
    func datagramDropped(_ reason: String) { counter("agora_net_datagrams_dropped_total", [("reason", reason)]).increment() }

    /// A session whose handshake completed; `role` is `initiator` or `responder`.
    func sessionEstablished(role: String) { counter("agora_net_sessions_established_total", [("role", role)]).increment() }
    /// A session or handshake that ended in an error.
    func sessionFailed(_ code: NetError.Code) { counter("agora_net_session_failures_total", [("code", code.rawValue)]).increment() }
    /// An encrypted record sent.
    func recordSent() { counter("agora_net_records_sent_total").increment() }
    /// An encrypted record received and opened.
    func recordReceived() { counter("agora_net_records_received_total").increment() }
}
