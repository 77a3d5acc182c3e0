// agora-ledger-bench: ledger benchmarks and the crash-test child.
//
//   agora-ledger-bench append --db PATH [--count N] [--concurrency C] [--checkpoint-ms MS]
//   agora-ledger-bench signatures [--count N]
//   agora-ledger-bench proofs --db PATH [--entries N] [--samples S]
//   agora-ledger-bench crash-child --db PATH [--seed BYTE] [--concurrency C]
//
// Run the benchmarks from a release build (`swift build -c release`).
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    BenchArgs.usage()
}
let args = BenchArgs(Array(arguments.dropFirst()))
switch command {
case "append": await AppendBench.run(args)
case "signatures": SignatureBench.run(args)
case "proofs": await ProofBench.run(args)
case "crash-child": await CrashChild.run(args)
default: BenchArgs.usage()
}
