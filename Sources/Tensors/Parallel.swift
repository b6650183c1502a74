import Dispatch
import Foundation
import Synchronization

/// Splits loops (and GEMMs, see `BLAS.sgemm`) across the cores. The thread count is set once,
/// from the config; one pool serves both, and `CoreBudget` bounds what runs at once, so loops of
/// different pipeline stages never oversubscribe the machine.
public enum Parallel {
    nonisolated(unsafe) public private(set) static var threads: Int = defaultThreads()

    static func defaultThreads() -> Int {
        BLAS.keepLibrarySingleThreaded()   // BLAS.sgemm splits the work across this pool itself
        if let s = getenvString("CFCLIP_THREADS"), let n = Int(s), n > 0 { return n }
        return ProcessInfoCores.count
    }

    /// Sets the number of worker threads for `Parallel.for` and the GEMMs (and the core budget).
    public static func setThreads(_ n: Int) {
        threads = max(1, n)
        CoreBudget.shared.resize(threads)
    }

    /// Runs `body(range)` over `0..<count` in contiguous chunks, when the total work
    /// (`count * costPerItem`, in rough flops) is worth a thread hop: from 256K (at 32K, with
    /// helpers woken per loop, IR-SE50's small loops paid the wake about 200 times a sample:
    /// 60 -> 55 ms at batch 1; with `HelperPool`'s polling helpers 64K measured no better).
    /// The calling thread works through the chunks holding its core; a helper joins for each
    /// other core that is free, now or later while chunks remain, so a loop never waits for a
    /// core another stage holds. The chunks are a function of `count` and `threads` alone, and
    /// each item is computed the same way in any chunk: results never depend on how many
    /// helpers came.
    public static func `for`(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 || count * costPerItem < 262_144 || ThreadRole.inLoop {
            if count > 0 { body(0..<count) }   // small, or nested in a chunk: the cores are taken already
            return
        }
        CoreBudget.shared.withCore {
            withoutActuallyEscaping(body) { body in
                let loop = LoopRun(count: count, threads: threads, body: body)
                HelperPool.shared.post(loop, wanted: workers - 1)
                loop.work()
                HelperPool.shared.withdraw(loop)
                loop.finish(CoreBudget.shared)
            }
        }
    }
}

/// One parallel loop's shared state: the next chunk to claim, and the helpers inside `body`
/// (the caller waits for them, then drops `body` before it returns).
final class LoopRun: @unchecked Sendable {
    /// Chunk c is bounds[c]..<bounds[c + 1], each a threads-th of what is left (guided
    /// self-scheduling): few large chunks first, then smaller ones, so the threads finish
    /// within a small chunk of each other. With 4·threads equal chunks the helper sat idle for
    /// a quarter of IR-SE50's batch-1 time while the caller finished its last chunk; a
    /// 2·threads-th or 4·threads-th of the rest measured slower than a threads-th (more calls
    /// into the products, each re-reading its inputs).
    private let bounds: [Int]
    private let next = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)
    private let condition = NSCondition()
    private var inFlight = 0
    private var body: ((Range<Int>) -> Void)?

    init(count: Int, threads: Int, body: @escaping (Range<Int>) -> Void) {
        var b = [0], lo = 0
        while lo < count {
            lo += max(1, (count - lo + threads - 1) / threads)
            b.append(lo)
        }
        bounds = b; self.body = body
    }

    /// The calling thread's share: chunks until none is left.
    func work() {
        let saved = ThreadRole.inLoop
        ThreadRole.inLoop = true
        defer { ThreadRole.inLoop = saved }
        drain(body!)
    }

    private func drain(_ f: (Range<Int>) -> Void) {
        while true {
            let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if c >= bounds.count - 1 { return }
            f(bounds[c]..<bounds[c + 1])
        }
    }

    /// A helper: waits for a free core while the loop lasts, then takes chunks with it.
    /// A helper that ran gives its core back before it stops counting as in flight, so `finish`
    /// returns only once the cores it used are free again (the caller's next loop, or another
    /// stage, finds them; before, a check right after the loop could still see one taken).
    func help(_ budget: CoreBudget) {
        guard budget.acquire(unless: { finished.load(ordering: .acquiring) }) else { return }
        let ran = helpWithCore()
        budget.release()
        if ran {
            condition.lock()
            inFlight -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// True when it ran chunks (and counted itself in `inFlight`); `body` is released on return.
    private func helpWithCore() -> Bool {
        condition.lock()
        guard !finished.load(ordering: .acquiring), let f = body else { condition.unlock(); return false }
        inFlight += 1
        condition.unlock()
        ThreadRole.holdsCore = true; ThreadRole.inLoop = true
        drain(f)
        ThreadRole.holdsCore = false; ThreadRole.inLoop = false
        return true
    }

    /// Every chunk is claimed and the caller's are done: stop helpers that wait for a core,
    /// wait for those still running, and let go of `body`.
    func finish(_ budget: CoreBudget) {
        finished.store(true, ordering: .releasing)
        budget.wakeAll()
        condition.lock()
        while inFlight > 0 { condition.wait() }
        body = nil
        condition.unlock()
    }
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
