import Testing

/// Suites that create the testnet's network namespaces (`agora-n0`, `agora-n1`, …) nest in
/// this one and run one at a time: the names are the same in every run, and one suite's
/// `testnet down` would remove the namespaces of another running beside it.
@Suite("Testnets in network namespaces", .serialized)
struct NetworkNamespaceTests {}
