// swift-tools-version: 6.0
import PackageDescription

import Foundation

// Linux only, truthfully: the code uses Glibc, /proc, OpenBLAS's C API and Linux process
// controls (unshare in the tests); no Darwin paths are written or tested.
#if !os(Linux)
#error("CFClip builds and runs on Linux only (Debian 12 / Ubuntu with Swift 6); see README")
#endif

// Numeric code needs AVX2+FMA code generation (without it `addingProduct` becomes a libm call
// per lane, ~100x slower) and -Ounchecked in release; debug builds stay debug.
// CFCLIP_CHECKED=1 keeps every bounds check and precondition (the fuzzers' builds, and the
// build the benchmarks compare against).
let checked = ProcessInfo.processInfo.environment["CFCLIP_CHECKED"] == "1"
let haswell: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let numeric: [SwiftSetting] = haswell + (checked ? [] : [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))])
// Code that reads bytes from outside (checkpoints, images, HDF5, YAML, output folders) keeps
// every bounds check and precondition: there -Ounchecked would turn a missed check into
// undefined behaviour. `cfclip-bench load` and the demo pipeline measured no cost (README).
let parsers: [SwiftSetting] = haswell

let package = Package(
    name: "CFClip",
    products: [
        .executable(name: "cfclip", targets: ["cfclip"]),
        .executable(name: "cfclip-bench", targets: ["cfclip-bench"]),
        .executable(name: "cfclip-batch", targets: ["cfclip-batch"]),
        .executable(name: "cfclip-hdf5-reader", targets: ["cfclip-hdf5-reader"]),
        // The file parsers, for the fuzz harnesses in Fuzz/ (a package of their own).
        .library(name: "CFClipParsers", targets: ["FileIO", "Checkpoints", "Media", "Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // C libraries: module maps only (see Sources/C*/module.modulemap).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CSupport", path: "Sources/CSupport"),
        .target(name: "CMemory", path: "Sources/CMemory"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // The one file reader and the one durable writer (temp, fsync, rename), SHA-256, stop signals.
        .target(name: "FileIO", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Config YAML screened before decoding (numbers that would trap the decoder).
        .target(name: "StrictYAML", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Register tiles compiled for AVX-512, called only where the CPU has it (AVX512.enabled).
        .target(name: "KernelsAVX512", dependencies: ["CSupport"], swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"]),
                                                        .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "Tensors", dependencies: ["CBLAS", "CSupport", "CMemory", "KernelsAVX512"], swiftSettings: numeric),
        // --version: release, git commit and build date (written by the plugin), BLAS in use.
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .target(name: "BuildInfo", dependencies: ["Tensors"], plugins: ["BuildInfoPlugin"]),
        .target(name: "Checkpoints", dependencies: ["Tensors", "FileIO", "CZlib"], swiftSettings: parsers),
        .target(name: "Models", dependencies: ["Tensors", "Checkpoints", "CZlib"], swiftSettings: numeric),
        .target(name: "Media", dependencies: ["Tensors", "FileIO", "CPNG", "CJPEG", "CHDF5", "CZlib"], swiftSettings: parsers),

        // Scores of an edit (CLIP similarity, directional CLIP, identity, latent distance).
        .target(name: "Editing", dependencies: ["Tensors", "Models"], swiftSettings: numeric),

        // The fixture runner behind `cfclip parity`: recomputes reference outputs per model folder.
        .target(name: "Parity", dependencies: ["Tensors", "Checkpoints", "Models", "Editing", "Training"], swiftSettings: numeric),

        // cfclip train: optimisers, the training step on the tape, the loop, checkpoints.
        .target(name: "Training", dependencies: [
            "Tensors", "FileIO", "Checkpoints", "Models", "Editing", "Media", "StrictYAML",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: numeric),

        // cfclip-batch: YAML config, sources, stages on bounded queues, shards, resume, reports.
        .target(name: "Pipeline", dependencies: [
            "Tensors", "FileIO", "Checkpoints", "Models", "Media", "Editing", "Training", "StrictYAML", "CZlib",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: parsers),

        .executableTarget(name: "cfclip", dependencies: [
            "BuildInfo",
            "Tensors", "FileIO", "Checkpoints", "Models", "Media", "Parity", "Pipeline", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: parsers),
        .executableTarget(name: "cfclip-bench", dependencies: [
            "BuildInfo",
            "Tensors", "FileIO", "Checkpoints", "Models", "Editing", "Media", "Training", "CPNG", "CBLAS", "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: numeric),

        // Decodes untrusted HDF5 files for the others, in a process a libhdf5 crash cannot spread from.
        .executableTarget(name: "cfclip-hdf5-reader", dependencies: ["Media", "BuildInfo"], swiftSettings: parsers),

        .executableTarget(name: "cfclip-batch", dependencies: [
            "BuildInfo",
            "Pipeline", "Media", "FileIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: parsers),

        // Locates ../shared/fixtures for every test target (skip, or fail under CI=true).
        .target(name: "FixtureSupport", dependencies: ["Tensors"], path: "Tests/FixtureSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "FixtureSupport"], swiftSettings: numeric),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "FileIO", "FixtureSupport"], swiftSettings: numeric),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Editing", "Checkpoints", "FixtureSupport"], swiftSettings: numeric),
        .testTarget(name: "MediaTests", dependencies: ["Media", "FileIO", "CHDF5", "Tensors"], swiftSettings: numeric),
        .testTarget(name: "CLITests", dependencies: ["Media", "Tensors", "FixtureSupport"], swiftSettings: numeric),
        .testTarget(name: "ParityTests", dependencies: ["Parity", "Editing", "Checkpoints", "FixtureSupport"], swiftSettings: numeric),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "FileIO", "Models", "Media", "Checkpoints", "FixtureSupport"], swiftSettings: numeric),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "FileIO", "Editing", "Models", "Media", "Checkpoints", "FixtureSupport", .product(name: "Yams", package: "Yams")], swiftSettings: numeric),
    ]
)
