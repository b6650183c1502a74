import Dispatch
import Synchronization

/// Splits loops (and GEMMs, see `BLAS.sgemm`) across the cores. The thread count is set once,
/// from the config; one pool serves both, so they never oversubscribe the machine.
public enum Parallel {
    nonisolated(unsafe) public private(set) static var threads: Int = defaultThreads()

    static func defaultThreads() -> Int {
        BLAS.keepLibrarySingleThreaded()   // BLAS.sgemm splits the work across this pool itself
        if let s = getenvString("CFCLIP_THREADS"), let n = Int(s), n > 0 { return n }
        return ProcessInfoCores.count
    }

    /// Sets the number of worker threads for `Parallel.for` and the GEMMs.
    public static func setThreads(_ n: Int) { threads = max(1, n) }

    /// Runs `body(range)` over `0..<count` split into at most `threads` contiguous chunks, when
    /// the total work (`count * costPerItem`, in rough flops) is worth a thread hop.
    public static func `for`(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, count)
        if chunks <= 1 || count * costPerItem < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        if isBusy { body(0..<count); return }   // nested: the cores are taken already
        active.add(1, ordering: .relaxed)
        defer { active.subtract(1, ordering: .relaxed) }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { box.value(lo..<hi) }
            }
        }
    }

    /// Parallel regions running now (any thread). Loops that start while one runs (nested
    /// in its chunks, or from another pipeline stage) run serially instead of oversubscribing.
    private static let active = Atomic<Int>(0)
    public static var isBusy: Bool { active.load(ordering: .relaxed) > 0 }
}

/// Carries a non-Sendable value into `concurrentPerform`; callers guarantee disjoint writes.
@usableFromInline final class UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}

/// A raw pointer that may cross into parallel chunks (each chunk writes its own range).
/// The two pointer kinds `Parallel` workers share. The caller keeps the buffer alive and
/// unchanged for the whole `Parallel.for` call, and the workers touch disjoint ranges of an
/// output; these are the only places a raw pointer crosses threads.
public struct SendablePointer<T>: @unchecked Sendable {
    public let p: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// A buffer the workers only read (inputs, weights): no mutable cast needed.
public struct ReadPointer<T>: @unchecked Sendable {
    public let p: UnsafePointer<T>
    public init(_ p: UnsafePointer<T>) { self.p = p }
}

enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 2
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}
