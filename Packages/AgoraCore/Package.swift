// swift-tools-version:6.1
// AgoraCore: the pure protocol cores (wire, crypto, ledger, gossip, market, simulator)
// and the ledger's SQLite store. Nothing here imports SwiftNIO or Hummingbird, so its
// tests build in seconds.
import PackageDescription

let package = Package(
    name: "AgoraCore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AgoraCrypto", targets: ["AgoraCrypto"]),
        .library(name: "AgoraWire", targets: ["AgoraWire"]),
        .library(name: "AgoraJob", targets: ["AgoraJob"]),
        .library(name: "AgoraLedger", targets: ["AgoraLedger"]),
        .library(name: "AgoraLedgerStore", targets: ["AgoraLedgerStore"]),
        .library(name: "AgoraGossip", targets: ["AgoraGossip"]),
        .library(name: "AgoraMarket", targets: ["AgoraMarket"]),
        .library(name: "AgoraSim", targets: ["AgoraSim"]),
        .executable(name: "agora-sim", targets: ["agora-sim"]),
        .executable(name: "agora-ledger-bench", targets: ["agora-ledger-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        // Ed25519 verification with per-key tables, on libsodium 1.0.18 code vendored in
        // the target's folder (see its LICENSE); SHA-512 still comes from libsodium.
        .target(name: "CEd25519", dependencies: ["CSodium"], exclude: ["LICENSE"]),
        .target(name: "AgoraCrypto", dependencies: ["CSodium", "CEd25519"]),
        .target(name: "AgoraWire", dependencies: ["CZstd"]),
        .target(name: "AgoraJob", dependencies: ["AgoraWire"]),
        .target(name: "AgoraLedger", dependencies: ["AgoraWire", "AgoraCrypto"]),
        .target(name: "AgoraLedgerStore", dependencies: [
            "AgoraLedger", "AgoraWire", "AgoraCrypto",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "AgoraGossip", dependencies: [
            "AgoraWire", "AgoraCrypto",
            .product(name: "Collections", package: "swift-collections"),
        ]),
        .target(name: "AgoraMarket", dependencies: [
            "AgoraWire", "AgoraCrypto", "AgoraLedger", "AgoraJob",
            .product(name: "Collections", package: "swift-collections"),
        ]),
        .target(name: "AgoraSim", dependencies: [
            "AgoraGossip", "AgoraMarket", "AgoraCrypto", "AgoraJob",
            .product(name: "Collections", package: "swift-collections"),
        ]),
        .executableTarget(name: "agora-sim", dependencies: ["AgoraSim"]),
        .executableTarget(name: "agora-ledger-bench", dependencies: [
            "AgoraLedger", "AgoraLedgerStore", "AgoraCrypto",
        ]),
        // CSodium: the differential tests call libsodium directly as the reference.
        .testTarget(name: "AgoraCryptoTests", dependencies: ["AgoraCrypto", "CSodium"]),
        .testTarget(name: "AgoraWireTests", dependencies: ["AgoraWire"]),
        .testTarget(name: "AgoraJobTests", dependencies: ["AgoraJob", "AgoraWire"]),
        .testTarget(name: "AgoraLedgerTests", dependencies: ["AgoraLedger", "AgoraCrypto", "AgoraWire"]),
        .testTarget(name: "AgoraLedgerStoreTests", dependencies: [
            "AgoraLedgerStore", "AgoraLedger", "AgoraCrypto",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "AgoraGossipTests", dependencies: ["AgoraGossip", "AgoraCrypto", "AgoraWire"]),
        .testTarget(name: "AgoraMarketTests", dependencies: ["AgoraMarket", "AgoraCrypto", "AgoraLedger", "AgoraJob", "AgoraWire"]),
        .testTarget(name: "AgoraSimTests", dependencies: ["AgoraSim", "AgoraGossip"]),
    ]
)
