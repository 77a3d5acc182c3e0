import AgoraCrypto
import AgoraWire

extension Market {
    /// The market protocol for one node in all three roles (requester, provider,
    /// validator), as a pure value: every handler takes the current time, mutates the
    /// instance and returns `Directive`s for the shell. No I/O, clock or unseeded randomness.
    ///
    /// Inputs: `submit`/`cancel` (the node's user), `receive` (market envelopes from peers),
    /// `timerFired` (timers it scheduled), `handle` (executor, ledger and evidence results),
    /// `updatePeers` (from gossip). Rejected input is counted in `stats` and leaves `state`
    /// unchanged.
    public struct Instance: Sendable {
        /// This node's identity (signs messages, opens sealed payloads).
        public let identity: Identity
        /// Configuration (the provider offer changes at runtime: `updateProvider`).
        public internal(set) var settings: Settings
        /// Checks ledger entries with their checkpoints and inclusion proofs.
        public let verifier: any LedgerProofVerifier
        /// All protocol state (equatable, so tests can show a rejection changed nothing).
        public internal(set) var state: State
        /// Counters (not protocol state).
        public internal(set) var stats = Stats()

        /// The instance's protocol state.
        public struct State: Equatable, Sendable {
            var random: Random
            var peers: [PeerInfo] = []
            var requests: [JobID: RequesterJob] = [:]
            var provided: [JobKey: ProviderJob] = [:]
            var validations: [Digest: ValidationJob] = [:]
            var seenAttestations: Set<Digest> = []
            /// The facts every member should know, as the messages that carried them: failing
            /// attestations and equivocation evidence (the most recent `Limits.maxWarnings`).
            /// Gossip sends each once; a member that was away then gets them when it is back.
            var warnings: [Envelope] = []
            /// Jobs open when this node last stopped, being settled with their providers
            /// (`reconcile`).
            var reconciling: [JobID: ReconciledJob] = [:]
            /// Checkpoints seen of other ledgers, and the ledgers with evidence against them.
            var watch = EquivocationWatch()
            /// Consistency questions answered per peer in its current window (start, count).
            var consistencyAnswered: [PublicKey: RequestWindow] = [:]
            var reserved: UInt64 = 0
            /// Arrival counter of this node's work queue (jobs and checks).
            var queueSeq: UInt64 = 0
            /// Fair queueing: the virtual time (start tag of the job started last) and each
            /// requester's last finish tag (forgotten once the virtual time passes it).
            var virtualTime: UInt64 = 0
            var finishTags: [PublicKey: UInt64] = [:]
            /// Job requests that found this provider's queue full, in order of arrival.
            var waitlist: [WaitlistEntry] = []
            /// Reputation and credits from verified ledger facts.
            public internal(set) var reputation: Reputation
            /// How far each provider's estimates were from what its results took (ranking only).
            public internal(set) var etaCalibration = EtaCalibration()
        }

        /// Requests of one kind counted for one peer since `start`.
        struct RequestWindow: Equatable, Sendable {
            var start: Millis
            var count: Int
        }

        /// Counters for metrics and tests.
        public struct Stats: Equatable, Sendable {
            /// Rejected inputs by reason.
            public var rejections: [Rejection.Reason: Int] = [:]
            /// Jobs submitted here.
            public var submitted = 0
            /// Ledgers this node caught equivocating, or learnt of from verified evidence.
            public var evidence = 0
            /// Jobs requested here that completed.
            public var completed = 0
            /// Receipts with outcome `paid` written here.
            public var paid = 0
            /// Credits paid by this node.
            public var creditsPaid: UInt64 = 0
            /// Verified jobs (level ≥ 1) paid with fewer attestations than their level asks:
            /// nobody could check them before their deadline or a validation timeout.
            public var unchecked = 0
            /// Awards this node made (including re-awards).
            public var awards = 0
            /// Awards that timed out here.
            public var timeouts = 0
            /// Bids this node sent.
            public var bids = 0
            /// Results this node delivered as a provider.
            public var delivered = 0
            /// Attestations this node issued as a validator.
            public var attestations = 0

            /// Rejections counted for `reason`.
            public func rejections(_ reason: Rejection.Reason) -> Int { rejections[reason] ?? 0 }
            /// All rejections.
            public var totalRejections: Int { rejections.values.reduce(0, +) }
        }

        /// Creates an instance. `randomSeed` seeds every salt, job id and sealing key: a
        /// node passes `SecureRandom.bytes(32)`, a simulation a seed derived from its run seed.
        public init(identity: Identity, settings: Settings, verifier: any LedgerProofVerifier, randomSeed: [UInt8]) {
            self.identity = identity
            self.settings = settings
            self.verifier = verifier
            self.state = State(random: Random(seed: randomSeed),
                               reputation: Reputation(policy: settings.reputation, grant: settings.initialGrant))
        }

        /// This node's id.
        public var nodeID: PublicKey { identity.publicKey }

        /// Replaces the view of peers (from gossip peer records); order is normalised. This
        /// node may be among them: it then bids on its own jobs like any provider, and a job it
        /// wins itself is paid (to itself) without validators.
        public mutating func updatePeers(_ peers: [PeerInfo]) {
            state.peers = peers.sorted { $0.nodeID < $1.nodeID }
        }

        /// Handles one market message received from the authenticated peer `from`.
        public mutating func receive(_ envelope: Envelope, from: PublicKey, now: Millis) -> [Directive] {
            let out = receiveMessage(envelope, from: from, now: now)
            return out + serveWaitlist(now: now)
        }

        /// Handles one encoded market envelope (malformed bytes are a counted rejection).
        public mutating func receive(_ bytes: [UInt8], from: PublicKey, now: Millis) -> [Directive] {
            let env: Envelope
            do { env = try Envelope(decoding: bytes) } catch {
                return reject(Rejection(.malformed, "\(error)"), from: from)
            }
            return receive(env, from: from, now: now)
        }

        private mutating func receiveMessage(_ env: Envelope, from: PublicKey, now: Millis) -> [Directive] {
            switch env.type {
            case .jobRequest:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<JobRequest>) in i.onJobRequest(m, from: from, now: now) }
            case .bid:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<Bid>) in i.onBid(m, from: from, now: now) }
            case .award:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<Award>) in i.onAward(m, from: from, now: now) }
            case .result:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<ResultMessage>) in
                    i.observing(m.body.entryProof, i.onResult(m, from: from, now: now), now: now)
                }
            case .cancel:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<Cancel>) in i.onCancel(m, from: from, now: now) }
            case .decline:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<Decline>) in i.onDecline(m, from: from, now: now) }
            case .reconcileInput:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<ReconcileInput>) in
                    i.onReconcileInput(m, from: from, now: now)
                }
            case .verifyRequest:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<VerifyRequest>) in
                    i.observing(m.body.entryProof, i.onVerifyRequest(m, from: from, now: now), now: now)
                }
            case .attestation:
                return dispatch(env.payload, from: from) { (i: inout Instance, m: Signed<AttestationMessage>) in
                    i.observing(m.body.entryProof, i.onAttestation(m, from: from, now: now), now: now)
                }
            case .evidence:
                return onEvidence(env.payload, from: from)
            case .consistencyRequest:
                return onConsistencyRequest(env.payload, from: from, now: now)
            case .consistencyProof:
                return onConsistencyAnswer(env.payload, from: from)
            case .streamPiece:
                guard let piece = try? Market.StreamPiece(wireBytes: env.payload) else {
                    return reject(Rejection(.malformed, "stream piece does not decode"), from: from)
                }
                return onStreamPiece(piece, from: from, now: now)
            case .receipt:
                guard let proof = try? EntryProof(wireBytes: env.payload) else {
                    return reject(Rejection(.malformed, "receipt notice does not decode"), from: from)
                }
                return onReceiptNotice(proof, from: from)
            default:
                return reject(Rejection(.malformed, "message type \(env.type) is not a market message"), from: from)
            }
        }

        /// Handles a timer this instance scheduled.
        public mutating func timerFired(_ timer: Timer, now: Millis) -> [Directive] {
            let out = fire(timer, now: now)
            return out + serveWaitlist(now: now)
        }

        private mutating func fire(_ timer: Timer, now: Millis) -> [Directive] {
            switch timer {
            case .bidWindow(let job, let round): return onBidWindow(job, round: round, now: now)
            case .awardTimeout(let job, let provider): return onAwardTimeout(job, provider: provider, now: now)
            case .validationTimeout(let job, let validator): return onValidationTimeout(job, validator: validator, now: now)
            case .jobDeadline(let job): return onJobDeadline(job, now: now)
            case .reconcileExpiry(let job): return onReconcileExpiry(job, now: now)
            case .bidExpiry(let key): return onBidExpiry(key, now: now)
            case .consistencyDue(let ledger): return onConsistencyDue(ledger, now: now)
            }
        }

        /// Handles a result of a directive (executor, ledger) or a verified fact.
        public mutating func handle(_ event: Event, now: Millis) -> [Directive] {
            let out = handleEvent(event, now: now)
            return out + serveWaitlist(now: now)
        }

        private mutating func handleEvent(_ event: Event, now: Millis) -> [Directive] {
            switch event {
            case .executionFinished(let key, let output): return onExecutionFinished(key, output, now: now)
            case .executionFailed(let key): return onExecutionFailed(key, now: now)
            case .ledgerAppended(let ticket, let proof): return onLedgerAppended(ticket, proof, now: now)
            case .verificationFinished(let ticket, let verdict): return onVerificationFinished(ticket, verdict, now: now)
            case .verificationAbandoned(let ticket, let reason): return onVerificationAbandoned(ticket, reason, now: now)
            case .generated(let key, let text): return onGenerated(key, text: text)
            case .evidence(let node):
                state.reputation.exclude(node)
                return []
            case .observedEntry(let proof): return onObservedEntry(proof)
            case .unreachable(let peer): return onUnreachable(peer, now: now)
            case .peerJoined(let peer): return onPeerJoined(peer, now: now)
            }
        }

        // MARK: helpers

        private mutating func dispatch<B: MarketSignedBody>(
            _ payload: [UInt8], from: PublicKey, _ handler: (inout Instance, Signed<B>) -> [Directive]
        ) -> [Directive] {
            let message: Signed<B>
            do { message = try Signed<B>(payload: payload) } catch {
                return reject(Rejection(.malformed, "\(error)"), from: from)
            }
            guard message.isValid else {
                return reject(Rejection(.badSignature, "\(B.self) signature does not verify under \(message.body.signer.short)"), from: from)
            }
            return handler(&self, message)
        }

        /// Counts a rejection and reports it.
        mutating func reject(_ r: Rejection, from: PublicKey?) -> [Directive] {
            stats.rejections[r.reason, default: 0] += 1
            return [.rejected(r, from: from)]
        }

        /// Counts a rejection built from its parts.
        mutating func reject(_ reason: Rejection.Reason, _ context: String, from: PublicKey?) -> [Directive] {
            reject(Rejection(reason, context), from: from)
        }

        /// Checks an entry proof and that it holds `body` of `kind` in `owner`'s ledger.
        func checkEntry(_ proof: EntryProof, owner: PublicKey, kind: LedgerKind, body: [UInt8]) -> Rejection? {
            switch verifier.verify(proof) {
            case .rejected(let why): return Rejection(.badProof, why)
            case .verified(let e):
                guard e.ledger == owner else { return Rejection(.hashMismatch, "entry is in \(e.ledger.short)'s ledger, not \(owner.short)'s") }
                guard e.kind == kind.rawValue else { return Rejection(.hashMismatch, "entry kind \(e.kind), expected \(kind.rawValue)") }
                guard e.body == body else { return Rejection(.hashMismatch, "entry body differs from the \(kind) carried") }
                return nil
            }
        }

        /// Peers (sorted) serving `model`, minus `excluding` and excluded nodes.
        /// Peers that may be given new work for `model` (asked to bid, chosen as validators):
        /// serving it, not excluded, and not suspected of having failed.
        func peers(serving model: Digest, excluding: [PublicKey]) -> [PublicKey] {
            state.peers.filter { p in
                p.models.contains(model) && !p.suspect && !excluding.contains(p.nodeID) && !state.reputation.isExcluded(p.nodeID)
            }.map(\.nodeID)
        }

        /// Whether gossip suspects `node` of having failed (it may still answer what it holds).
        func isSuspect(_ node: PublicKey) -> Bool { state.peers.first { $0.nodeID == node }?.suspect ?? false }

        /// The arithmetic class `node` advertises for `model` (empty when unknown or none).
        func advertisedClass(of node: PublicKey, model: Digest) -> [UInt8] {
            state.peers.first { $0.nodeID == node }?.arithmeticClass(of: model) ?? []
        }

        /// A signed envelope to `to`.
        static func send<B: MarketSignedBody>(_ m: Signed<B>, to: PublicKey) -> Directive {
            .send(to: to, m.message)
        }

        /// A requester's receipt sent to this node: counted once (credits, completed jobs)
        /// when it verifies as an entry of the sender's own ledger paying this node.
        private mutating func onReceiptNotice(_ proof: EntryProof, from: PublicKey) -> [Directive] {
            guard case .verified(let e) = verifier.verify(proof) else {
                return reject(.badProof, "receipt entry does not verify", from: from)
            }
            guard e.ledger == from, LedgerKind(rawValue: e.kind) == .receipt,
                  let r = try? Receipt(wireBytes: e.body), r.requester == from, r.provider == nodeID else {
                return reject(.wrongParty, "receipt notice is not the sender's receipt paying this node", from: from)
            }
            guard state.reputation.count(receipt: r, bodyHash: SHA256.hash(e.body)) else { return [] }
            return [.remember(proof)]
        }

        /// Facts of other nodes' ledgers: receipts and attestations count once each.
        private mutating func onObservedEntry(_ proof: EntryProof) -> [Directive] {
            guard case .verified(let e) = verifier.verify(proof) else {
                return reject(.badProof, "observed entry does not verify", from: nil)
            }
            switch LedgerKind(rawValue: e.kind) {
            case .receipt:
                guard let r = try? Receipt(wireBytes: e.body), r.requester == e.ledger else {
                    return reject(.malformed, "observed receipt does not decode or is not the ledger owner's", from: nil)
                }
                guard state.reputation.count(receipt: r, bodyHash: SHA256.hash(e.body)) else { return [] }
                return [.remember(proof)]
            case .attestation:
                guard let a = try? Attestation(wireBytes: e.body), a.validator == e.ledger else {
                    return reject(.malformed, "observed attestation does not decode or is not the ledger owner's", from: nil)
                }
                guard state.reputation.count(attestation: a, bodyHash: SHA256.hash(e.body)) else { return [] }
                return [.remember(proof)]
            case .result, .evidence, nil:
                return []
            }
        }
    }
}
