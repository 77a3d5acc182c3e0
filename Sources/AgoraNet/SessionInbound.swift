import AgoraWire
import NIOCore

/// The envelopes a session receives, in order, with backpressure: when the consumer falls
/// `highWatermark` envelopes behind, the session stops reading from its socket (TCP flow
/// control then slows the peer) and resumes below `lowWatermark`. The sequence ends when
/// the peer closes cleanly and throws a `NetError` when the session breaks. One consumer.
public struct SessionInbound: AsyncSequence, Sendable {
    public typealias Element = Envelope
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        Envelope, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, ReadDemand>

    let producer: Producer

    /// Iterates the envelopes.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator

        /// The next envelope; nil after a clean close; throws `NetError` on failure.
        public mutating func next() async throws -> Envelope? { try await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: producer.makeAsyncIterator()) }
}

/// Tells the session's channel handler to read again when the consumer wants more (or
/// has gone away), by an outbound user event that reaches the handler on its event loop.
struct ReadDemand: NIOAsyncSequenceProducerDelegate {
    /// The event the handler receives.
    struct Resume: Sendable {}

    let channel: any Channel

    func produceMore() { channel.triggerUserOutboundEvent(Resume(), promise: nil) }
    func didTerminate() { channel.triggerUserOutboundEvent(Resume(), promise: nil) }
}
