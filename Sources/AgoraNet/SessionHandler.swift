import AgoraCrypto
import AgoraWire
import NIOCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The channel side of a session: frames bytes, feeds the handshake machine, then
/// encrypts and decrypts records. Every failure completes the handshake promise or ends
/// the inbound stream with a `NetError`, counts it, and closes the channel.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outbound
    typealias OutboundOut = ByteBuffer

    /// What `Session` writes into the channel.
    enum Outbound: Sendable {
        /// One encoded envelope, to be sealed as a record.
        case envelope([UInt8])
        /// End this side's stream and close.
        case finish
    }

    private enum Phase {
        case handshaking(HandshakeStateMachine)
        case awaitingHeader(RecordLayer, NodeID)
        case open(RecordLayer)
        case closed
    }

    private var phase: Phase
    private var reader: FrameReader
    private let configuration: SessionConfiguration
    private let metrics: NetMetrics
    private let roleName: String
    private let established: EventLoopPromise<Session>
    private var inbound: SessionInbound.Producer.Source?
    private var inboundSequence: SessionInbound?
    private var timeout: Scheduled<Void>?
    private var closingLocally = false
    /// Backpressure: the consumer is `highWatermark` envelopes behind, so reads wait.
    private var readingPaused = false
    private var pendingRead = false

    /// Inbound envelopes buffered before reading pauses, and the level to resume at.
    static let highWatermark = 16, lowWatermark = 4

    init(role: HandshakeStateMachine.Role, identity: Identity, configuration: SessionConfiguration,
         established: EventLoopPromise<Session>) {
        let machine = HandshakeStateMachine(role: role, identity: identity, ephemeral: .generate(),
                                            signer: configuration.forgedSigner ?? identity)
        self.phase = .handshaking(machine)
        self.reader = FrameReader(maxFrame: HandshakeStateMachine.maxFrame)
        self.configuration = configuration
        self.metrics = NetMetrics(factory: configuration.metricsFactory)
        self.roleName = role == .responder ? "responder" : "initiator"
        self.established = established
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let made = SessionInbound.Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: Self.lowWatermark, highWatermark: Self.highWatermark),
            finishOnDeinit: true, delegate: ReadDemand(channel: context.channel))
        inbound = made.source
        inboundSequence = SessionInbound(producer: made.sequence)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            self.fail(NetError(.handshakeTimeout, "handshake not complete after \(self.configuration.handshakeTimeout)"), context: context)
        }
        if case .handshaking(var machine) = phase {
            let actions = machine.start()
            phase = .handshaking(machine)
            perform(actions, context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        reader.append(&bytes)
        do {
            while !isClosed, let frame = try reader.next() {
                try handle(frame, context: context)
            }
        } catch {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .closed:
            inbound?.finish()
        case .handshaking, .awaitingHeader:
            fail(NetError(reader.pending > 0 ? .truncatedFrame : .connectionClosed,
                          "connection closed during the handshake (\(reader.pending) bytes of an incomplete frame)"), context: context)
        case .open:
            if closingLocally {
                phase = .closed
                inbound?.finish()
            } else if reader.pending > 0 {
                fail(NetError(.truncatedFrame, "connection closed inside a frame (\(reader.pending) bytes pending)"), context: context)
            } else {
                fail(NetError(.connectionClosed, "peer closed the connection without ending its record stream"), context: context)
            }
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Completes whatever is still open (a second completion is ignored), so no waiter hangs.
        established.fail(NetError(.connectionClosed, "channel closed before the session was established"))
        inbound?.finish()
        inbound = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            fail(NetError(.connectionClosed, "connection reset by the peer"), context: context)
        } else {
            fail(NetError(.io, "\(error)"), context: context)
        }
    }

    private var isClosed: Bool { if case .closed = phase { return true } else { return false } }

    private func handle(_ frame: [UInt8], context: ChannelHandlerContext) throws(NetError) {
        switch phase {
        case .handshaking(var machine):
            let actions = machine.receive(frame)
            if case .handshaking = phase { phase = .handshaking(machine) }
            perform(actions, context: context)
        case .awaitingHeader(let layer, let remote):
            _ = try layer.receive(frame)
            phase = .open(layer)
            timeout?.cancel()
            metrics.sessionEstablished(role: roleName)
            guard let inboundSequence else { throw NetError(.sessionClosed, "handler was removed") }
            established.succeed(Session(remoteNodeID: remote, channel: context.channel, inbound: inboundSequence,
                                        configuration: configuration))
        case .open(let layer):
            switch try layer.receive(frame) {
            case .envelope(let envelope):
                metrics.recordReceived()
                if inbound?.yield(envelope) == .stopProducing { readingPaused = true }
            case .finished:
                phase = .closed
                inbound?.finish()
                context.close(promise: nil)
            case .ready:
                break   // unreachable: the header was consumed in .awaitingHeader
            }
        case .closed:
            break
        }
    }

    private func perform(_ actions: [HandshakeStateMachine.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let body):
                context.write(wrapOutboundOut(frame(body, context)), promise: nil)
            case .established(let keys):
                do {
                    let layer = try RecordLayer(keys: keys, maxPayload: configuration.maxPayload)
                    context.write(wrapOutboundOut(frame(layer.headerFrame, context)), promise: nil)
                    reader.maxFrame = configuration.maxFrame
                    phase = .awaitingHeader(layer, keys.remoteNodeID)
                } catch {
                    fail(error, context: context)
                }
            case .fail(let error):
                fail(error, context: context)
            }
        }
        context.flush()
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if readingPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is ReadDemand.Resume else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        readingPaused = false
        if pendingRead {
            pendingRead = false
            context.read()
        }
        promise?.succeed()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .envelope(let bytes):
            guard case .open(let layer) = phase, !closingLocally else {
                promise?.fail(NetError(.sessionClosed, "session is closed"))
                return
            }
            metrics.recordSent()
            context.write(wrapOutboundOut(frame(layer.seal(bytes), context)), promise: promise)
        case .finish:
            guard case .open(let layer) = phase, !closingLocally else {
                context.close(promise: promise)
                return
            }
            closingLocally = true
            // The final record may queue behind writes a stalled peer never reads: close
            // anyway after `closeTimeout`.
            let forced = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.closeTimeout)) {
                context.close(promise: nil)
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(frame(layer.sealFinal(), context)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in
                forced.cancel()
                context.close(promise: promise)
            }
        }
    }

    private func frame(_ body: [UInt8], _ context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: body.count + 4)
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    // MARK: Failure

    private func fail(_ error: NetError, context: ChannelHandlerContext) {
        guard !isClosed else { return }
        phase = .closed
        timeout?.cancel()
        metrics.sessionFailed(error.code)
        established.fail(error)
        inbound?.finish(error)
        context.close(promise: nil)
    }
}
