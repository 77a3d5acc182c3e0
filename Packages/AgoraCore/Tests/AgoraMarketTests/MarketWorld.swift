import AgoraJob
import AgoraCrypto
import AgoraWire
@testable import AgoraMarket

/// A hand-driven little network of market instances for unit tests: messages wait in an
/// inbox until a test delivers them, timers until it fires them, executor jobs until it
/// finishes them. Ledger appends happen at once (in-memory ledgers).
final class MarketWorld {
    struct Message { var from: PublicKey; var to: PublicKey; var type: MessageType; var envelope: [UInt8] }

    static let model = SHA256.hash(Array("model-a".utf8))

    /// Default settings, except that awards wait for the bid window (tests step through it).
    static var windowSettings: Market.Settings {
        var s = Market.Settings()
        s.earlyAwardBids = 0
        return s
    }
    static let otherModel = SHA256.hash(Array("model-b".utf8))

    var instances: [PublicKey: Market.Instance] = [:]
    var ledgers: [PublicKey: Market.MemoryLedger] = [:]
    var names: [String: PublicKey] = [:]
    var now: Market.Millis = 1_000_000
    var inbox: [Message] = []
    /// Every message delivered so far, in order.
    var delivered: [Message] = []
    var timers: [(node: PublicKey, timer: Market.Timer, at: Market.Millis)] = []
    var runs: [(node: PublicKey, spec: Market.JobSpec)] = []
    var verifies: [(node: PublicKey, spec: Market.VerificationSpec)] = []
    var notes: [(node: PublicKey, note: Market.Notification)] = []
    var rejections: [(node: PublicKey, rejection: Market.Rejection)] = []
    var cancelledRuns: [(node: PublicKey, key: Market.JobKey)] = []
    var gossiped: [[UInt8]] = []
    /// Entries of other ledgers each node was told to keep for a restart.
    var remembered: [PublicKey: [Market.EntryProof]] = [:]
    /// Each requester's job journal.
    var journals: [PublicKey: [Market.JournalRecord]] = [:]

    static func identity(_ n: UInt8) -> Identity {
        // Seeds are fixed bytes: keys are the same in every run.
        try! Identity(seed: [UInt8](repeating: n, count: 32))
    }

    /// A requester R, a provider P (price 10) and two dearer providers V1 (50) and V2 (60)
    /// that check P's results, every one seeing every provider.
    static func requesterProviderAndTwoValidators() -> MarketWorld {
        let w = MarketWorld()
        w.add("R", seed: 1, price: nil)
        w.add("P", seed: 2, price: 10)
        w.add("V1", seed: 4, price: 50)
        w.add("V2", seed: 5, price: 60)
        w.meshPeers()
        return w
    }

    /// Adds a node; `price` nil makes it a requester only.
    @discardableResult
    func add(_ name: String, seed: UInt8, price: UInt64?, settings: Market.Settings = MarketWorld.windowSettings) -> PublicKey {
        let id = Self.identity(seed)
        var s = settings
        if let price {
            s.provider = Market.ProviderProfile(models: [Self.model], pricePer1k: price, prefillTokensPerSecond: 400,
                                                decodeTokensPerSecond: 100, maxQueue: 4, bidTTL: 5_000, fingerprint: Array("test".utf8))
        }
        instances[id.publicKey] = Market.Instance(identity: id, settings: s, verifier: Market.MemoryLedgerVerifier(),
                                                  randomSeed: [seed, 0xAA])
        ledgers[id.publicKey] = Market.MemoryLedger(identity: id)
        names[name] = id.publicKey
        return id.publicKey
    }

    /// Adds a provider that runs `slots` jobs at once and holds `maxQueue`.
    @discardableResult
    func addQueued(_ name: String, seed: UInt8, slots: Int, maxQueue: Int) -> PublicKey {
        let id = add(name, seed: seed, price: nil)
        var s = MarketWorld.windowSettings
        s.provider = Market.ProviderProfile(models: [Self.model], pricePer1k: 10, prefillTokensPerSecond: 400,
                                            decodeTokensPerSecond: 100, maxQueue: maxQueue, slots: slots, bidTTL: 5_000)
        instances[id] = Market.Instance(identity: Self.identity(seed), settings: s, verifier: Market.MemoryLedgerVerifier(),
                                        randomSeed: [seed, 0xAA])
        return id
    }

    /// Adds a provider with one offer per model (price, speed and slots each).
    @discardableResult
    func addOffering(_ name: String, seed: UInt8, _ offers: [Market.ModelProfile], maxQueue: Int = 8) -> PublicKey {
        let id = add(name, seed: seed, price: nil)
        var s = MarketWorld.windowSettings
        s.provider = Market.ProviderProfile(offers: offers, maxQueue: maxQueue, bidTTL: 5_000, fingerprint: Array("test".utf8))
        instances[id] = Market.Instance(identity: Self.identity(seed), settings: s, verifier: Market.MemoryLedgerVerifier(),
                                        randomSeed: [seed, 0xAA])
        return id
    }

    subscript(_ name: String) -> PublicKey { names[name]! }

    /// The arithmetic class every node advertises unless a test names classes.
    static let commonClass = [UInt8](repeating: 0xC0, count: 16)

    /// Everyone sees every provider, with the arithmetic classes named in `classes` (by node
    /// name; a node not named advertises none), or all of one class (`commonClass`, so that
    /// verified jobs can be checked exactly) when `classes` is nil.
    func meshPeers(classes: [String: [UInt8]]? = nil, suspects: Set<String> = []) {
        let peers = instances.values.compactMap { i -> Market.PeerInfo? in
            guard let p = i.settings.provider else { return nil }
            let cls = classes.map { c in c.first { names[$0.key] == i.nodeID }?.value ?? [] } ?? Self.commonClass
            let suspect = suspects.contains { names[$0] == i.nodeID }
            return Market.PeerInfo(nodeID: i.nodeID, models: p.models, pricePer1k: p.offers.map(\.pricePer1k).min() ?? 0,
                                   arithmeticClass: cls, suspect: suspect)
        }
        for k in instances.keys { instances[k]!.updatePeers(peers) }
    }

    func apply(_ ds: [Market.Directive], at node: PublicKey) {
        for d in ds {
            switch d {
            case .send(let to, let message):
                inbox.append(Message(from: node, to: to, type: message.type, envelope: message.encoded(compress: false)))
            case .gossip(let message):
                let env = message.encoded(compress: false)
                gossiped.append(env)
                for k in instances.keys.sorted() where k != node {
                    inbox.append(Message(from: node, to: k, type: message.type, envelope: env))
                }
            case .schedule(let t, let at): timers.append((node, t, at))
            case .runJob(let spec): runs.append((node, spec))
            case .cancelJob(let key): cancelledRuns.append((node, key))
            case .verify(let spec): verifies.append((node, spec))
            case .appendLedger(let a):
                let proof = ledgers[node]!.append(kind: a.kind.rawValue, body: a.body)
                apply(instances[node]!.handle(.ledgerAppended(a.ticket, proof), now: now), at: node)
            case .notify(let n): notes.append((node, n))
            case .rejected(let r, _): rejections.append((node, r))
            case .remember(let proof): remembered[node, default: []].append(proof)
            case .journal(let record): journals[node, default: []].append(record)
            case .proveConsistency(let to, let q):
                guard let env = ledgers[node]!.consistencyEnvelope(q) else { continue }
                inbox.append(Message(from: node, to: to, type: env.type, envelope: env.encoded(compress: false)))
            }
        }
    }

    func submit(from name: String, level: UInt8 = 0, maxPrice: UInt64 = 100, maxTokens: UInt32 = 16,
                deadline: Market.Millis? = nil, prompt: String = "why is the sky blue?", model: Digest = MarketWorld.model) -> Market.JobID {
        let s = Market.JobSubmission(modelID: model, request: FakeEngine.request(prompt, maxTokens: maxTokens), promptTokens: 8,
                                     maxPrice: maxPrice, deadline: deadline ?? now + 60_000, verificationLevel: level)
        guard case .success(let sub) = instances[self[name]]!.submit(s, now: now) else { fatalError("submit refused") }
        apply(sub.directives, at: self[name])
        return sub.jobID
    }

    /// Delivers every queued message matching `filter` (in order), including ones queued meanwhile.
    func deliver(where filter: (Message) -> Bool = { _ in true }) {
        while let i = inbox.firstIndex(where: filter) {
            let m = inbox.remove(at: i)
            guard instances[m.to] != nil else { continue }
            delivered.append(m)
            apply(instances[m.to]!.receive(m.envelope, from: m.from, now: now), at: m.to)
        }
    }

    /// One auction as the requester runs it: requests reach the providers and their bids come
    /// back, the bid window (250 ms) ends, and the award is delivered.
    func runAuction() {
        deliver()
        advance(to: now + 250)
        deliver()
    }

    /// Drops queued messages matching `filter`, returning them.
    @discardableResult
    func take(where filter: (Message) -> Bool) -> [Message] {
        let taken = inbox.filter(filter)
        inbox.removeAll(where: filter)
        return taken
    }

    /// Advances time to `t`, firing due timers in time order.
    func advance(to t: Market.Millis) {
        while let i = timers.indices.filter({ timers[$0].at <= t }).min(by: { timers[$0].at < timers[$1].at }) {
            let tm = timers.remove(at: i)
            now = max(now, tm.at)
            apply(instances[tm.node]!.timerFired(tm.timer, now: now), at: tm.node)
        }
        now = t
    }

    /// Finishes pending executor runs with the fake engine (`cheat` alters output of a node;
    /// `lie` makes one node run jobs the way a lying provider does).
    func finishRuns(cheat: PublicKey? = nil, lie: (node: PublicKey, FakeEngine.Lie)? = nil) {
        let pending = runs
        runs = []
        for r in pending {
            var (tokens, logprobs) = FakeEngine.run(model: r.spec.modelID, r.spec.request, lie: r.node == lie?.node ? lie?.1 : nil)
            if r.node == cheat { tokens[tokens.count / 2] ^= 1 }
            let out = Market.ExecutionOutput(tokens: tokens, text: FakeEngine.text(tokens), fingerprint: Array("fake".utf8),
                                             startedAt: now, finishedAt: now + 10, logprobs: logprobs)
            apply(instances[r.node]!.handle(.executionFinished(r.spec.key, out), now: now), at: r.node)
        }
    }

    /// Finishes pending verifications with the fake engine's teacher-forced check (`liar`
    /// fails every result it checks).
    func finishVerifies(liar: PublicKey? = nil) {
        let pending = verifies
        verifies = []
        for v in pending {
            let verdict = v.node == liar ? .fail(.tokenMismatch, position: 0) : FakeEngine.check(v.spec)
            apply(instances[v.node]!.handle(.verificationFinished(ticket: v.spec.ticket, verdict), now: now), at: v.node)
        }
    }

    func notes(of name: String) -> [Market.Notification] { notes.filter { $0.node == self[name] }.map(\.note) }

    func receipts(of name: String) -> [Market.Receipt] {
        ledgers[self[name]]!.bodies.filter { $0.kind == Market.LedgerKind.receipt.rawValue }.compactMap { try? Market.Receipt(wireBytes: $0.body) }
    }
}

/// A deterministic stand-in for the executor: the "model" is a hash stream.
enum FakeEngine {
    /// A greedy job whose prompt is `prompt`.
    static func request(_ prompt: String, maxTokens: UInt32 = 16) -> GenerationRequest {
        GenerationRequest(prompt: .text(prompt), parameters: .greedy(maxTokens: Int(maxTokens)))
    }

    /// The tokens the "model" generates for `request` (from a text prompt's bytes, else the
    /// request's encoding).
    static func generate(model: Digest, request: GenerationRequest, maxTokens: UInt32? = nil) -> [UInt32] {
        let bytes: [UInt8]
        if case .text(let text) = request.prompt { bytes = Array(text.utf8) } else { bytes = request.wireBytes }
        return generate(model: model, prompt: bytes, maxTokens: maxTokens ?? UInt32(request.parameters.maxTokens))
    }

    static func generate(model: Digest, prompt: [UInt8], maxTokens: UInt32) -> [UInt32] {
        var out: [UInt32] = []
        var i: UInt32 = 0
        while out.count < Int(maxTokens) {
            let h = SHA256.hash(parts: [model.bytes, prompt, [UInt8(i & 0xff), UInt8(i >> 8)]]).bytes
            for k in stride(from: 0, to: 32, by: 4) where out.count < Int(maxTokens) {
                out.append((UInt32(h[k]) << 8 | UInt32(h[k + 1])) % 49_152)
            }
            i += 1
        }
        return out
    }

    static func text(_ tokens: [UInt32]) -> [UInt8] { Array(tokens.map { "t\($0)" }.joined(separator: " ").utf8) }

    /// Ways a provider can lie about a job's rules.
    enum Lie { case ignoreStop, alterLogprobs, ignoreGrammar }

    /// A job run under its rules, as the fake model does it: with a grammar only even token
    /// ids are allowed; a stop sequence ends the output after the first token whose text
    /// contains it; logprobs (when asked for) are a function of the token.
    static func run(model: Digest, _ request: GenerationRequest, lie: Lie? = nil) -> ([UInt32], [TokenLogprob]) {
        let p = request.parameters
        var tokens = generate(model: model, request: request)
        if !p.grammar.isEmpty, lie != .ignoreGrammar { tokens = tokens.map { $0 & ~1 } }
        if lie != .ignoreStop, let end = tokens.firstIndex(where: { t in p.stop.contains { "t\(t)".contains($0) } }) {
            tokens = Array(tokens.prefix(end + 1))
        }
        guard p.topLogprobs != nil else { return (tokens, []) }
        let logprobs = tokens.map { t in
            TokenLogprob(logprob: -Float(t % 13) / 4 + (lie == .alterLogprobs ? 0.25 : 0), bytes: Array("t\(t)".utf8), top: [])
        }
        return (tokens, logprobs)
    }

    /// The teacher-forced check: the claimed tokens and logprobs must be exactly what the
    /// fake model gives under the job's rules, and the text the tokens' text.
    static func check(_ spec: Market.VerificationSpec) -> Market.Attestation.Verdict {
        let (expected, logprobs) = run(model: spec.modelID, spec.request)
        if let i = zip(expected, spec.tokens).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return .fail(.tokenMismatch, position: UInt32(i))
        }
        if expected.count != spec.tokens.count { return .fail(.tokenMismatch, position: UInt32(min(expected.count, spec.tokens.count))) }
        if logprobs != spec.logprobs { return .fail(.tokenMismatch, position: 0) }
        return text(spec.tokens) == spec.text ? .pass : .fail(.invalidResult, position: 0)
    }
}
