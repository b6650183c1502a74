import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process's cores as permits, one per `Parallel.threads`: a thread computes only while it
/// holds one. Pipeline stages take a permit for each item they work on (`withCore`), and a
/// parallel loop adds helpers only for the permits that are free, so the render, score and
/// encode stages share the cores instead of running three threads on two (where a loop's
/// chunks wait at its end for the one whose core was taken).
public final class CoreBudget: @unchecked Sendable {
    public static let shared = CoreBudget(permits: Parallel.threads)

    private let condition = NSCondition()
    private var total: Int
    private var free: Int { didSet { freeNow.store(free, ordering: .relaxed) } }
    /// `free` for readers that must not take the lock (polling helpers).
    private let freeNow = Atomic<Int>(0)

    init(permits: Int) {
        total = max(1, permits); free = total
        freeNow.store(free, ordering: .relaxed)
    }

    /// Whether a permit is free now, without the lock (a hint: it may change at once).
    var anyFree: Bool { freeNow.load(ordering: .relaxed) > 0 }

    /// Changes the number of permits (`Parallel.setThreads`); held permits stay held.
    func resize(_ permits: Int) {
        condition.lock()
        free += max(1, permits) - total
        total = max(1, permits)
        condition.broadcast()
        condition.unlock()
    }

    /// Takes one permit, waiting for it; returns the seconds waited.
    @discardableResult
    public func acquire() -> Double {
        condition.lock()
        defer { condition.unlock() }
        if free > 0 { free -= 1; return 0 }
        let t0 = DispatchTime.now().uptimeNanoseconds
        while free <= 0 { condition.wait() }
        free -= 1
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// Takes one permit, waiting while none is free and `gaveUp()` is false; false when it gave up.
    func acquire(unless gaveUp: () -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while free <= 0 { if gaveUp() { return false }; condition.wait() }
        if gaveUp() { return false }
        free -= 1
        return true
    }

    public func release() {
        condition.lock()
        free += 1
        condition.signal()
        condition.unlock()
    }

    /// Wakes the waiters so they re-check why they wait (a loop they would help has ended).
    func wakeAll() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Permits free now (for tests and the benchmark).
    public var available: Int {
        condition.lock()
        defer { condition.unlock() }
        return free
    }

    /// Runs `body` holding a permit (the calling thread counts as one core while it works);
    /// `waited` gets the seconds spent waiting for it. Nested calls take nothing more.
    public func withCore<T>(waited: (Double) -> Void = { _ in }, _ body: () throws -> T) rethrows -> T {
        if ThreadRole.holdsCore { waited(0); return try body() }
        waited(acquire())
        ThreadRole.holdsCore = true
        defer { ThreadRole.holdsCore = false; release() }
        return try body()
    }
}

/// What the current thread is doing for the budget: holding a permit, or running a chunk of
/// a parallel loop (where a nested loop runs serially). Thread-local through a pthread key, so
/// the check costs a load.
enum ThreadRole {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private static var bits: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }

    static var holdsCore: Bool {
        get { bits & 1 != 0 }
        set { bits = newValue ? bits | 1 : bits & ~1 }
    }

    static var inLoop: Bool {
        get { bits & 2 != 0 }
        set { bits = newValue ? bits | 2 : bits & ~2 }
    }
}
