import AgoraCrypto
import AgoraWire
import Testing
@testable import AgoraNet

/// Runs two machines against each other in memory, no sockets.
struct HandshakePair {
    var initiator: HandshakeStateMachine
    var responder: HandshakeStateMachine
    /// Every frame body sent, in order: hello, reply, finish.
    var frames: [[UInt8]] = []

    /// Drives the exchange; optionally rewrites the frame at `index` in flight.
    mutating func run(tamper: (Int, inout [UInt8]) -> Void = { _, _ in }) -> (initiator: [HandshakeStateMachine.Action], responder: [HandshakeStateMachine.Action]) {
        var toResponder = initiator.start(), toInitiator = responder.start()
        var lastI = toResponder, lastR = toInitiator
        var turn = 0
        while turn < 4 {
            let outgoing = turn % 2 == 0 ? toResponder : toInitiator
            guard case .send(var body)? = outgoing.first else { break }
            tamper(frames.count, &body)
            frames.append(body)
            if turn % 2 == 0 {
                toInitiator = responder.receive(body); lastR = toInitiator
            } else {
                toResponder = initiator.receive(body); lastI = toResponder
            }
            turn += 1
        }
        return (lastI, lastR)
    }
}

func keys(_ actions: [HandshakeStateMachine.Action]) -> SessionKeys? {
    for case .established(let k) in actions { return k }
    return nil
}

func failure(_ actions: [HandshakeStateMachine.Action]) -> NetError.Code? {
    for case .fail(let e) in actions { return e.code }
    return nil
}

extension SecureBytes {
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

@Suite struct HandshakeStateMachineTests {
    let alice = Identity.generate(), bob = Identity.generate(), mallory = Identity.generate()

    @Test func bothSidesProveTheirIdentityAndAgreeOnKeys() throws {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: bob.publicKey), identity: alice),
                                 responder: .init(role: .responder, identity: bob))
        let (i, r) = pair.run()
        let ik = try #require(keys(i)), rk = try #require(keys(r))
        #expect(ik.remoteNodeID == bob.publicKey)
        #expect(rk.remoteNodeID == alice.publicKey)
        #expect(ik.sendKey.bytes == rk.receiveKey.bytes)
        #expect(ik.receiveKey.bytes == rk.sendKey.bytes)
        #expect(ik.sendKey.bytes != ik.receiveKey.bytes)
        #expect(ik.transcriptHash == rk.transcriptHash)
        #expect(pair.frames.map(\.count) == [37, 150, 117])
        // Neither node id appears in clear on the wire.
        for frame in pair.frames {
            #expect(!contains(frame, alice.publicKey.bytes))
            #expect(!contains(frame, bob.publicKey.bytes))
        }
    }

    @Test func initiatorWithoutExpectationLearnsTheResponder() throws {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: alice),
                                 responder: .init(role: .responder, identity: bob))
        #expect(try #require(keys(pair.run().initiator)).remoteNodeID == bob.publicKey)
    }

    @Test func expectedPeerMismatchFailsBeforeTheInitiatorRevealsItself() {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: mallory.publicKey), identity: alice),
                                 responder: .init(role: .responder, identity: bob))
        let (i, _) = pair.run()
        #expect(failure(i) == .wrongPeer)
        #expect(pair.frames.count == 2)   // no finish sent
    }

    @Test func responderSigningWithAnotherKeyFails() {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: alice),
                                 responder: .init(role: .responder, identity: bob, ephemeral: .generate(), signer: mallory))
        #expect(failure(pair.run().initiator) == .badSignature)
    }

    @Test func initiatorSigningWithAnotherKeyFails() {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: alice, ephemeral: .generate(), signer: mallory),
                                 responder: .init(role: .responder, identity: bob))
        let (i, r) = pair.run()
        #expect(keys(i) != nil)   // the initiator cannot know yet
        #expect(failure(r) == .badSignature)
    }

    @Test(arguments: [(1, 40), (1, 149), (1, 10), (2, 60)])
    func anyFlippedCiphertextOrKeyByteFailsTheHandshake(frame: Int, byte: Int) {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: alice),
                                 responder: .init(role: .responder, identity: bob))
        let (i, r) = pair.run { index, body in if index == frame { body[byte] ^= 0x40 } }
        let code = frame == 1 ? failure(i) : failure(r)
        #expect(code == .decryptionFailed)
    }

    @Test func malformedFramesAreTypedErrors() throws {
        let hello = Envelope(type: .handshakeHello, payload: [UInt8](repeating: 9, count: 32)).encoded()
        let cases: [[UInt8]] = [
            [],
            [0xde, 0xad, 0xbe, 0xef],
            Envelope(type: .handshakeHello, payload: [1, 2, 3]).encoded(),
            Envelope(type: .handshakeFinish, payload: [UInt8](repeating: 9, count: 32)).encoded(),
            Envelope(type: .ping, payload: [UInt8](repeating: 9, count: 32)).encoded(),
            hello + [0],
            Envelope(type: .handshakeHello, payload: [UInt8](repeating: 0, count: 32)).encoded(),   // low-order point
        ]
        for frame in cases {
            var responder = HandshakeStateMachine(role: .responder, identity: bob)
            _ = responder.start()
            #expect(failure(responder.receive(frame)) == .malformedHandshake, "frame \(frame.prefix(8))")
            #expect(failure(responder.receive(hello)) == .malformedHandshake)   // finished for good
        }
        var unstarted = HandshakeStateMachine(role: .responder, identity: bob)
        #expect(failure(unstarted.receive(hello)) == .malformedHandshake)
    }

    @Test func replayedHelloAfterTheHandshakeIsRejected() {
        var pair = HandshakePair(initiator: .init(role: .initiator(expectedPeer: nil), identity: alice),
                                 responder: .init(role: .responder, identity: bob))
        _ = pair.run()
        #expect(failure(pair.responder.receive(pair.frames[0])) == .malformedHandshake)
        #expect(failure(pair.initiator.receive(pair.frames[1])) == .malformedHandshake)
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
