import AgoraCrypto
import AgoraGossip

extension Sim.Simulation {
    func hash(_ values: UInt64...) {
        for v in values { traceHash = (traceHash ^ v) &* 0x100_0000_01b3 }
    }

    func process(_ e: Sim.Event) {
        switch e.payload {
        case .action(let a):
            perform(a)
        case .streamPing(let seq, let target, let fromAddress, let to):
            guard !nodes[to].crashed, var inst = nodes[to].instance else { return }
            hash(10, UInt64(e.time), UInt64(to), seq)
            let ds = inst.onStreamPing(seq: seq, target: target, from: fromAddress, now: instant(to))
            nodes[to].instance = inst
            carryOut(ds, from: to)
        case .streamAck(let seq, let to):
            guard !nodes[to].crashed, var inst = nodes[to].instance else { return }
            hash(11, UInt64(e.time), UInt64(to), seq)
            let ds = inst.onStreamAck(seq: seq, now: instant(to))
            nodes[to].instance = inst
            carryOut(ds, from: to)
        case .timer(let i, let timer, let generation):
            guard !nodes[i].crashed, nodes[i].generation == generation, var inst = nodes[i].instance else { return }
            hash(1, UInt64(e.time), UInt64(i))
            let ds = inst.onTimeout(timer, now: instant(i))
            nodes[i].instance = inst
            carryOut(ds, from: i)
        case .datagram(let d, let from, let fromAddress, let to):
            guard !nodes[to].crashed, var inst = nodes[to].instance else { return }
            hash(2, UInt64(e.time), UInt64(to), UInt64(from))
            let ds = inst.onDatagram(d, from: Gossip.Peer(nodeID: nodeIDs[from], address: fromAddress), now: instant(to))
            nodes[to].instance = inst
            carryOut(ds, from: to)
        case .packet(let bytes, let fromAddress, let to):
            guard !nodes[to].crashed, var inst = nodes[to].instance, var g = nodes[to].guardian else { return }
            let opened = g.open(bytes)
            nodes[to].guardian = g
            guard case .success(let (sender, d)) = opened else { hash(9, UInt64(e.time), UInt64(to)); return }
            hash(2, UInt64(e.time), UInt64(to))
            let ds = inst.onDatagram(d, from: Gossip.Peer(nodeID: sender, address: fromAddress), now: instant(to))
            nodes[to].instance = inst
            carryOut(ds, from: to)
        case .pushPull(let state, let fromAddress, let to, _):
            guard !nodes[to].crashed, var inst = nodes[to].instance else { return }
            hash(3, UInt64(e.time), UInt64(to), UInt64(state.updates.count))
            let ds = inst.onPushPull(state, from: fromAddress, now: instant(to))
            nodes[to].instance = inst
            carryOut(ds, from: to)
        }
    }

    /// Carries out an instance's directives: the simulator is its shell.
    func carryOut(_ directives: [Gossip.Directive], from i: Int) {
        for d in directives {
            switch d {
            case .send(let datagram, let address):
                guard let to = addressIndex[address] else { continue }
                let size = datagram.packetSize
                traffic[i].datagramBytesSent += size
                traffic[i].datagramsSent += 1
                guard deliverable(from: i, to: to) else { continue }
                if config.network.loss > 0, rng.unit() < config.network.loss { continue }
                traffic[to].datagramBytesReceived += size
                let t = now + latency()
                if config.realPackets {
                    nodes[i].sequence += 1
                    guard let bytes = try? Gossip.Packet.seal(datagram, by: identities[i], sequence: nodes[i].sequence) else { continue }
                    push(Sim.Event(time: t, seq: 0, payload: .packet(bytes, fromAddress: addresses[i], to: to)))
                } else {
                    push(Sim.Event(time: t, seq: 0, payload: .datagram(datagram, from: i, fromAddress: addresses[i], to: to)))
                }
            case .pushPull(let state, let address), .replyPushPull(let state, let address):
                guard let to = addressIndex[address] else { continue }
                let size = Gossip.Message.pushPull(state).payload.count
                traffic[i].streamBytesSent += size
                guard deliverable(from: i, to: to) else { continue }
                traffic[to].streamBytesReceived += size
                let t = now + Int64(Double(latency()) * config.network.streamLatencyFactor)
                push(Sim.Event(time: t, seq: 0, payload: .pushPull(state, fromAddress: addresses[i], to: to, failTo: i)))
            case .streamPing(let seq, let target, let address):
                // A stream session like push-pull's: not lost, `streamLatencyFactor` latencies each way.
                guard let to = addressIndex[address] else { continue }
                let size = Gossip.Message.ping(seq: seq, target: target).payload.count
                traffic[i].streamBytesSent += size
                guard deliverable(from: i, to: to) else { continue }
                traffic[to].streamBytesReceived += size
                if config.network.streamPingLoss > 0, rng.unit() < config.network.streamPingLoss { continue }
                let t = now + Int64(Double(latency()) * config.network.streamLatencyFactor)
                push(Sim.Event(time: t, seq: 0, payload: .streamPing(seq: seq, target: target, fromAddress: addresses[i], to: to)))
            case .replyStreamPing(let seq, let address):
                guard let to = addressIndex[address] else { continue }
                let size = Gossip.Message.ack(seq: seq).payload.count
                traffic[i].streamBytesSent += size
                guard deliverable(from: i, to: to) else { continue }
                traffic[to].streamBytesReceived += size
                let t = now + Int64(Double(latency()) * config.network.streamLatencyFactor)
                push(Sim.Event(time: t, seq: 0, payload: .streamAck(seq: seq, to: to)))
            case .schedule(let timer, let at):
                let t = max(now, at.nanoseconds - nodes[i].skew)
                push(Sim.Event(time: t, seq: 0, payload: .timer(i, timer, generation: nodes[i].generation)))
            case .emit(let event):
                hash(4, UInt64(now), UInt64(i), eventCode(event))
                onEvent?(now, i, event)
            }
        }
    }

    func deliverable(from a: Int, to b: Int) -> Bool {
        if let g = groups, g[a] != g[b] { return false }
        return !nodes[b].crashed
    }

    /// A log-normal one-way latency in nanoseconds.
    func latency() -> Int64 {
        let n = config.network
        let u1 = max(rng.unit(), 1e-12), u2 = rng.unit()
        let z = squareRoot(-2 * naturalLogarithm(u1)) * cosine(2 * Double.pi * u2)
        let ms = min(n.maxLatencyMs, n.medianLatencyMs * exponential(n.latencySigma * z))
        return Int64(ms * 1e6)
    }

    func eventCode(_ e: Gossip.Event) -> UInt64 {
        func key(_ id: NodeID) -> UInt64 { id.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
        switch e {
        case .alive(let r): return 10 &+ key(r.nodeID) &+ r.incarnation
        case .recordUpdated(let r): return 20 &+ key(r.nodeID) &+ r.incarnation
        case .suspect(let id, let inc): return 30 &+ key(id) &+ inc
        case .dead(let id, let inc): return 40 &+ key(id) &+ inc
        case .left(let id, let inc): return 50 &+ key(id) &+ inc
        case .reaped(let id): return 60 &+ key(id)
        case .refuted(let inc): return 70 &+ inc
        }
    }

    func perform(_ a: Sim.Action) {
        switch a {
        case .crash(let i):
            hash(5, UInt64(now), UInt64(i))
            if let inst = nodes[i].instance { nodes[i].lastIncarnation = inst.record.incarnation }
            nodes[i].crashed = true
            nodes[i].instance = nil
            nodes[i].generation += 1
        case .restart(let i):
            guard nodes[i].crashed else { return }
            hash(6, UInt64(now), UInt64(i))
            nodes[i].crashed = false
            nodes[i].generation += 1
            guard let inst = try? makeInstance(i, incarnation: nodes[i].lastIncarnation + 1) else { return }
            nodes[i].instance = inst
            var peer = rng.below(nodes.count)
            for _ in 0..<nodes.count where nodes[peer].crashed || peer == i { peer = (peer + 1) % nodes.count }
            let ds = nodes[i].instance!.onCommand(.join(bootstrap: [addresses[peer]]), now: instant(i))
            carryOut(ds, from: i)
        case .stall(let i, let until):
            hash(7, UInt64(now), UInt64(i))
            nodes[i].stalledUntil = max(nodes[i].stalledUntil, until)
        case .partition(let g):
            hash(8, UInt64(now))
            groups = g
        case .heal:
            hash(8, UInt64(now), 1)
            groups = nil
        case .command(let i, let c):
            guard !nodes[i].crashed, var inst = nodes[i].instance else { return }
            let ds = inst.onCommand(c, now: instant(i))
            nodes[i].instance = inst
            carryOut(ds, from: i)
        }
    }
}
