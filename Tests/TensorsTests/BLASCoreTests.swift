import Tensors
import XCTest

/// OpenBLAS 0.3.21 runs SSE3 "Prescott" kernels on Intel CPUs newer than its table; before its
/// first product a process has it choose the kernels the CPU's flags allow (`BLASCore`).
final class BLASCoreTests: XCTestCase {
    func testTheLadderFollowsOpenBLASsOwnFallback() {
        let avx512: Set<String> = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(BLASCore.better(than: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCore.better(than: "Prescott", flags: ["avx", "avx2", "fma", "avx512f"]), "Haswell",
                       "avx512f alone is not what the SkylakeX kernels need")
        XCTAssertEqual(BLASCore.better(than: "Prescott", flags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertEqual(BLASCore.better(than: "Prescott", flags: ["sse4_2", "avx"]), "Sandybridge")
        XCTAssertNil(BLASCore.better(than: "Prescott", flags: ["sse3", "sse4_2"]), "an SSE-only CPU keeps Prescott")
        XCTAssertNil(BLASCore.better(than: "Zen", flags: avx512), "a core OpenBLAS recognised stands")
        XCTAssertNil(BLASCore.better(than: "Haswell", flags: avx512))
    }

    /// In this process too (the tests', a program's that links the library): outputs computed
    /// here and by the executables are the same bytes only if both run the same kernels.
    func testThisProcessRunsKernelsTheCPUAllows() throws {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { throw XCTSkip("OPENBLAS_CORETYPE is set") }
        let flags = BLASCore.cpuFlags()
        XCTAssertNil(BLASCore.better(than: BLAS.coreName, flags: flags), "OpenBLAS runs \(BLAS.coreName) on a CPU with \(flags.filter { $0.hasPrefix("avx") }.sorted())")
        XCTAssertNil(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], "the environment is left as it was found")
    }

    func testThisMachinesFlagsAreRead() {
        let flags = BLASCore.cpuFlags()
        XCTAssertTrue(flags.contains("sse2"), "every x86_64 CPU has sse2; /proc/cpuinfo gave \(flags.count) flags")
    }
}
