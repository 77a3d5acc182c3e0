// swift-tools-version:6.1
// AgoraExecutor: the local executor over llama.cpp's C API. llama.cpp is built by
// scripts/bootstrap into a cache prefix (default ~/.cache/agora/llama); set
// AGORA_LLAMA_PREFIX to use another one. PKG_CONFIG_PATH must reach its llama.pc
// (the scripts source ~/.cache/agora/env, which sets it).
import PackageDescription
import Foundation

let home = Context.environment["HOME"] ?? "/root"
let llamaPrefix = Context.environment["AGORA_LLAMA_PREFIX"] ?? "\(home)/.cache/agora/llama"
// DT_RPATH (not RUNPATH) is inherited by libggml.so when it loads libggml-cpu.so, so
// binaries find the llama libraries without LD_LIBRARY_PATH (see NATIVE-DEPS.md).
let llamaRPath: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--disable-new-dtags", "-Xlinker", "-rpath", "-Xlinker", "\(llamaPrefix)/lib"]),
]

let package = Package(
    name: "AgoraExecutor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AgoraExecutor", targets: ["AgoraExecutor"]),
        .executable(name: "agora-executor-bench", targets: ["agora-executor-bench"]),
    ],
    dependencies: [
        .package(path: "../AgoraCore"),
    ],
    targets: [
        .systemLibrary(name: "CLlama", pkgConfig: "llama"),
        // The verification output layer (OutputLayer.swift): optimised even in debug builds,
        // since tests verify thousands of results with it.
        .target(name: "COutputLayer", dependencies: ["CLlama"], cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "AgoraExecutor", dependencies: [
            "CLlama", "COutputLayer",
            .product(name: "AgoraCrypto", package: "AgoraCore"),
            .product(name: "AgoraJob", package: "AgoraCore"),
        ], linkerSettings: llamaRPath),
        .executableTarget(name: "agora-executor-bench", dependencies: ["AgoraExecutor", "CLlama"],
                          linkerSettings: llamaRPath),
        .testTarget(name: "AgoraExecutorTests", dependencies: ["AgoraExecutor", "COutputLayer"],
                    linkerSettings: llamaRPath),
    ]
)
