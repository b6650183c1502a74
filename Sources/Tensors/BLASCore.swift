import CBLAS
import Foundation

/// The OpenBLAS kernels this CPU can run, where the library cannot tell.
///
/// OpenBLAS 0.3.21 (Debian 12's) looks Intel family-6 CPUs up by model, and one newer than its
/// table (extended model 12 and up: Emerald Rapids and later) falls through to the Pentium 4's
/// entry: `openblas_get_corename()` says "Prescott" and every sgemm runs SSE3 kernels, 63
/// instead of 290 GFLOP/s on 2 cores of an Emerald Rapids guest (`cfclip-bench gemm`). The
/// library chose its kernel table when it was loaded; before the first product, this process
/// has it choose again with `OPENBLAS_CORETYPE` naming what OpenBLAS's own feature test picks
/// for CPUs it does not list. In-process, so the tests, the executables and any program that
/// links the library compute the same bytes. A value the user set is left alone.
public enum BLASCore {
    static let variable = "OPENBLAS_CORETYPE"

    /// The core to ask for, given OpenBLAS's choice and the CPU's flags (/proc/cpuinfo), or nil
    /// where the choice stands: the ladder of OpenBLAS's fallback for CPUs it does not list.
    public static func better(than current: String, flags: Set<String>) -> String? {
        guard current == "Prescott" else { return nil }
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The first `flags` line of /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Once, before the first BLAS call (`BLAS.configured`): re-runs OpenBLAS's kernel selection
    /// (`gotoblas_dynamic_quit`/`_init`, what its load-time constructor ran) with the better core
    /// named. A build of OpenBLAS without those (not DYNAMIC_ARCH: its kernels are fixed) is
    /// left as it is. The variable is removed again, so the environment stays as it was found.
    /// Returns the core OpenBLAS had chosen where it was replaced.
    static func selectFasterKernelsIfNeeded() -> String? {
        let own = String(cString: openblas_get_corename())
        guard getenv(variable) == nil, let core = better(than: own, flags: cpuFlags()),
              let quit = dlsym(nil, "gotoblas_dynamic_quit"), let select = dlsym(nil, "gotoblas_dynamic_init") else { return nil }
        typealias Entry = @convention(c) () -> Void
        setenv(variable, core, 1)
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(select, to: Entry.self)()
        unsetenv(variable)
        return own
    }
}
