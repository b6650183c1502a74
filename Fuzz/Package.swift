// swift-tools-version: 6.0
import PackageDescription

// libFuzzer harnesses for the parsers of outside input, a package of their own so that
// `-sanitize=fuzzer` never meets the CLI executables' `main`s. Build and run them with
// `scripts/fuzz.sh` (which sets CFCLIP_CHECKED=1: no -Ounchecked anywhere in the build).
let package = Package(
    name: "CFClipFuzz",
    // `cfclip` is a link to the repository root: the package has that name wherever it is cloned
    dependencies: [.package(path: "cfclip")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "fuzz-checkpoint", dependencies: ["FuzzDriver", .product(name: "CFClipParsers", package: "cfclip")]),
        .executableTarget(name: "fuzz-hdf5", dependencies: ["FuzzDriver", .product(name: "CFClipParsers", package: "cfclip")]),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzDriver", .product(name: "CFClipParsers", package: "cfclip")]),
    ]
)
