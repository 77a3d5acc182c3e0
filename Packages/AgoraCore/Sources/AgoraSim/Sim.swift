import AgoraGossip

/// A deterministic discrete-event simulator for the pure cores: thousands of
/// `Gossip.Instance`s in one process over a simulated network with latency, loss,
/// partitions, crashes, stalls and restarts. One seed fixes everything: the same seed
/// gives the same trace (`Simulation.traceHash`).
public enum Sim {}

extension Sim {
    /// The simulated network.
    public struct Network: Sendable {
        /// Median one-way datagram latency, milliseconds.
        public var medianLatencyMs = 15.0
        /// Log-normal shape σ (p99 ≈ median · e^(2.33σ)).
        public var latencySigma = 0.5
        /// Latencies are capped here, milliseconds.
        public var maxLatencyMs = 500.0
        /// Probability that a datagram is lost.
        public var loss = 0.0
        /// Probability that a stream ping (`Gossip.Directive.streamPing`) gets no answer in time
        /// although both ends are up (0: streams are as reliable as push-pull). A pessimistic
        /// model of TCP under datagram loss `p` is `1 − (1 − p)^4` (SYN, SYN-ACK, ping, ack:
        /// any retransmission misses the probe window).
        public var streamPingLoss = 0.0
        /// Push-pull (TCP) takes this many one-way latencies, and is not subject to `loss`.
        public var streamLatencyFactor = 3.0

        /// Defaults: 15 ms median, σ 0.5, no loss.
        public init() {}
    }

    /// How records and packets are signed in the simulation.
    public enum Signatures: Sendable, Equatable {
        /// Real Ed25519 record signatures and verification (use for small N).
        case ed25519
        /// A keyed checksum instead of Ed25519 (detects corruption, not forgery): for large N.
        /// Packet sizes still count the 64 signature bytes.
        case trusted
    }

    /// A simulation's parameters.
    public struct Config: Sendable {
        /// Nodes.
        public var nodes: Int
        /// The one seed everything derives from.
        public var seed: UInt64
        /// Gossip settings of every node.
        public var settings: Gossip.Settings
        /// The network.
        public var network: Network
        /// Each node's clock is offset by a uniform value in ± this many milliseconds.
        public var clockSkewMs = 5.0
        /// Record signatures.
        public var signatures: Signatures = .trusted
        /// Seal and open every datagram with the real packet codec (`Packet.seal` /
        /// `PacketGuard.open`, Ed25519): slow, for small runs that check the shell path.
        public var realPackets = false
        /// Capabilities each node advertises (one model by default).
        public var modelsPerNode = 1

        /// A configuration.
        public init(nodes: Int, seed: UInt64, settings: Gossip.Settings = Gossip.Settings(), network: Network = Network()) {
            self.nodes = nodes
            self.seed = seed
            self.settings = settings
            self.network = network
        }
    }
}
