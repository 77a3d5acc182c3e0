// swift-tools-version:6.0
// libFuzzer targets for every decoder: the pure cores (Packages/AgoraCore), handshake frames
// (AgoraNet) and HTTP request bodies (AgoraAPI) of the root package. Not part of the default
// build: `scripts/fuzz` builds it with `-sanitize=fuzzer,address -parse-as-library`.
import PackageDescription

let package = Package(
    name: "AgoraFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../Packages/AgoraCore"), .package(name: "agora", path: "..")],
    targets: [
        .executableTarget(name: "agora-fuzz", dependencies: [
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "AgoraWire", package: "AgoraCore"),
            .product(name: "AgoraJob", package: "AgoraCore"),
            .product(name: "AgoraLedger", package: "AgoraCore"),
            .product(name: "AgoraGossip", package: "AgoraCore"),
            .product(name: "AgoraMarket", package: "AgoraCore"),
            .product(name: "AgoraNet", package: "agora"),
            .product(name: "AgoraAPI", package: "agora"),
        ]),
    ]
)
