import AgoraCrypto
import AgoraWire

/// The encrypted record streams of an established session (Protocol.md §6.4): one
/// secretstream per direction. The first frame each side sends is its 24-byte stream
/// header; every later frame is one record whose plaintext is an encoded envelope, and a
/// final-tagged empty record ends the direction. Owned by one channel handler.
final class RecordLayer {
    /// What a received frame turned out to be.
    enum Event {
        /// The peer's stream header: records can now be opened.
        case ready
        /// One envelope.
        case envelope(Envelope)
        /// The peer ended its stream cleanly.
        case finished
    }

    private let sender: SecretStream.Sender
    private var receiver: SecretStream.Receiver?
    private let receiveKey: SecureBytes
    private let maxPayload: Int

    /// Starts this side's stream (its header is `headerFrame`).
    init(keys: SessionKeys, maxPayload: Int = Envelope.maxPayload) throws(NetError) {
        do { sender = try SecretStream.Sender(key: keys.sendKey) } catch {
            throw NetError(.decryptionFailed, "cannot start the record stream: \(error)")
        }
        receiveKey = keys.receiveKey
        self.maxPayload = maxPayload
    }

    /// The frame body to send before any record: this side's stream header.
    var headerFrame: [UInt8] { sender.header }

    /// Whether the peer's header has arrived.
    var isReady: Bool { receiver != nil }

    /// Seals one encoded envelope.
    func seal(_ envelopeBytes: [UInt8]) -> [UInt8] { sender.seal(envelopeBytes) }

    /// The record that ends this side's stream.
    func sealFinal() -> [UInt8] { sender.seal([], final: true) }

    /// Handles one received frame body.
    func receive(_ frame: [UInt8]) throws(NetError) -> Event {
        guard let receiver else {
            guard frame.count == SecretStream.headerBytes else {
                throw NetError(.malformedHandshake, "expected a \(SecretStream.headerBytes)-byte stream header, got \(frame.count) bytes")
            }
            do { self.receiver = try SecretStream.Receiver(key: receiveKey, header: frame) } catch {
                throw NetError(.decryptionFailed, "stream header: \(error)")
            }
            return .ready
        }
        let record: SecretStream.Record
        do { record = try receiver.open(frame) } catch {
            throw NetError(.decryptionFailed, "session record: \(error.context)")
        }
        if record.isFinal {
            guard record.plaintext.isEmpty else { throw NetError(.invalidEnvelope, "final record must be empty") }
            return .finished
        }
        do { return .envelope(try Envelope(decoding: record.plaintext, maxPayload: maxPayload)) } catch {
            throw NetError(.invalidEnvelope, "session record: \(error)")
        }
    }
}
