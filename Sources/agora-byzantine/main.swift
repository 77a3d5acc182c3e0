import AgoraAPI
import AgoraNode
import Foundation

/// `agora-byzantine --data-dir DIR --mode MODE`: a node of the adversarial testnet that lies
/// about its results in the way `MODE` names (`Misbehaviour`). Otherwise it is `agora node
/// --data-dir DIR`. Built beside `agora` for `agora testnet chaos` and the tests; a normal
/// node's configuration cannot turn it on.
let usage = "usage: agora-byzantine --data-dir DIR --mode \(Misbehaviour.allCases.map(\.rawValue).joined(separator: "|"))"
var arguments = CommandLine.arguments.dropFirst()
var dataDir: String?
var mode: Misbehaviour?
while let a = arguments.popFirst() {
    switch a {
    case "--data-dir": dataDir = arguments.popFirst()
    case "--mode":
        guard let m = arguments.popFirst().flatMap(Misbehaviour.init(rawValue:)) else {
            FileHandle.standardError.write(Data("unknown --mode\n\(usage)\n".utf8))
            exit(2)
        }
        mode = m
    default:
        FileHandle.standardError.write(Data("unexpected argument \(a)\n\(usage)\n".utf8))
        exit(2)
    }
}
guard let dataDir, let mode else {
    FileHandle.standardError.write(Data("\(usage)\n".utf8))
    exit(2)
}
let directory = DataDirectory(path: dataDir)
do {
    var config = try NodeConfig.load(from: directory)
    try config.validate()
    // A flooding requester serves nothing, so that its jobs go to others.
    config.serve = mode != .flood
    if mode.substitutesWeights { config.models = try Substitution.prepare(in: directory, config: config, quantisation: mode == .substituteQuantisation) }
    try await NodeRunner.run(dataDirectory: directory, config: config, misbehaviour: mode)
} catch {
    FileHandle.standardError.write(Data("agora-byzantine: \(error)\n".utf8))
    exit(1)
}
