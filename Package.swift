// swift-tools-version:6.1
// Agora: a peer-to-peer AI inference node. This package holds the I/O shells (network,
// node, HTTP API) and the `agora` command. The pure cores live in Packages/AgoraCore and
// the llama.cpp executor in Packages/AgoraExecutor; scripts/test runs all three suites.
import PackageDescription

let home = Context.environment["HOME"] ?? "/root"
let llamaPrefix = Context.environment["AGORA_LLAMA_PREFIX"] ?? "\(home)/.cache/agora/llama"
let llamaRPath: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--disable-new-dtags", "-Xlinker", "-rpath", "-Xlinker", "\(llamaPrefix)/lib"]),
]

let package = Package(
    name: "Agora",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agora", targets: ["agora"]),
        .executable(name: "agora-byzantine", targets: ["agora-byzantine"]),
        // For the fuzz targets of Fuzz/ (handshake frames, HTTP request bodies).
        .library(name: "AgoraNet", targets: ["AgoraNet"]),
        .library(name: "AgoraAPI", targets: ["AgoraAPI"]),
    ],
    dependencies: [
        .package(path: "Packages/AgoraCore"),
        .package(path: "Packages/AgoraExecutor"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .target(name: "AgoraNet", dependencies: [
            .product(name: "AgoraWire", package: "AgoraCore"),
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "AgoraNode", dependencies: [
            "AgoraNet",
            .product(name: "AgoraGossip", package: "AgoraCore"),
            .product(name: "AgoraMarket", package: "AgoraCore"),
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraLedgerStore", package: "AgoraCore"),
            .product(name: "AgoraExecutor", package: "AgoraExecutor"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], linkerSettings: llamaRPath),
        .target(name: "AgoraAPI", dependencies: [
            "AgoraNode",
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "AgoraGossip", package: "AgoraCore"),
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraMarket", package: "AgoraCore"),
            .product(name: "AgoraExecutor", package: "AgoraExecutor"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // The testnet's byzantine nodes: `agora node` with a way to lie. Kept out of `agora`
        // so that no configuration of a normal node can reach it.
        .executableTarget(name: "agora-byzantine", dependencies: [
            "AgoraNode", "AgoraAPI", .product(name: "AgoraExecutor", package: "AgoraExecutor"),
        ], linkerSettings: llamaRPath),
        .executableTarget(name: "agora", dependencies: [
            "AgoraNode", "AgoraAPI",
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraLedgerStore", package: "AgoraCore"),
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "AgoraExecutor", package: "AgoraExecutor"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], linkerSettings: llamaRPath),
        .testTarget(name: "AgoraNetTests", dependencies: [
            "AgoraNet",
            .product(name: "AgoraWire", package: "AgoraCore"),
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
        ]),
        .testTarget(name: "AgoraAPITests", dependencies: [
            "AgoraAPI", "AgoraNode",
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraMarket", package: "AgoraCore"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], linkerSettings: llamaRPath),
        .testTarget(name: "AgoraCLITests", dependencies: [
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraLedgerStore", package: "AgoraCore"),
            .product(name: "AgoraCrypto", package: "AgoraCore"),
        ], linkerSettings: llamaRPath),
        .testTarget(name: "AgoraNodeTests", dependencies: [
            "AgoraNode",
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraMarket", package: "AgoraCore"),
            .product(name: "AgoraGossip", package: "AgoraCore"),
            .product(name: "AgoraWire", package: "AgoraCore"),
            .product(name: "AgoraExecutor", package: "AgoraExecutor"),
            .product(name: "Logging", package: "swift-log"),
        ], linkerSettings: llamaRPath),
        .testTarget(name: "AgoraNetworkTests", dependencies: [
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraLedgerStore", package: "AgoraCore"),
            .product(name: "AgoraCrypto", package: "AgoraCore"),
        ]),
    ]
)
