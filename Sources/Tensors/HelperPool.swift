import CSupport
import Foundation
import Synchronization

/// The threads that help parallel loops. Each is started once and, after a loop, polls for
/// the next one for a while before it sleeps: CLIP's layers post a loop every few hundred
/// microseconds, and waking a sleeping thread (a futex, an interrupt to an idle virtual CPU)
/// took about 5% of its batch-1 time when every loop sent a fresh `DispatchQueue` task.
/// A helper polls only while a core is free in `CoreBudget`, so it never takes time from a
/// stage that holds every core; it computes only with a permit, as before.
final class HelperPool: @unchecked Sendable {
    static let shared = HelperPool()

    /// How long an idle helper polls before it sleeps. Longer than the serial gaps between a
    /// network's loops; it costs nothing a stage would use, as polling stops once no core is
    /// free (2 ms measured 1-2% faster than 0.3 ms on CLIP and IR-SE50 at batch 1, in noise).
    static let spinNanoseconds: UInt64 = 2_000_000

    private let condition = NSCondition()
    private var loops: [LoopRun] = []     // loops that may still use a helper, oldest first
    private var helpers = 0
    private var sleeping = 0
    /// Bumped on each post, read by polling helpers without the lock.
    private let posts = Atomic<Int>(0)

    /// Offers `loop` to `wanted` helpers, starting threads up to that many.
    func post(_ loop: LoopRun, wanted: Int) {
        condition.lock()
        loops.append(contentsOf: repeatElement(loop, count: wanted))
        while helpers < wanted {
            helpers += 1
            let t = Thread { [unowned self] in self.serve() }
            t.stackSize = 8 << 20   // as a main thread's: chunks may recurse into model code
            t.start()
        }
        posts.add(1, ordering: .releasing)
        if sleeping > 0 { condition.broadcast() }
        condition.unlock()
    }

    /// The loop's chunks are all claimed: no helper should pick it up any more.
    func withdraw(_ loop: LoopRun) {
        condition.lock()
        loops.removeAll { $0 === loop }
        condition.unlock()
    }

    private func serve() {
        Thread.current.name = "cfclip-helper"   // in `top -H` and /proc (the tests read it)
        while true {
            condition.lock()
            var loop = loops.first
            while loop == nil {
                let seen = posts.load(ordering: .acquiring)
                condition.unlock()
                poll(since: seen)
                condition.lock()
                loop = loops.first
                if loop == nil, posts.load(ordering: .acquiring) == seen {
                    sleeping += 1
                    condition.wait()
                    sleeping -= 1
                    loop = loops.first
                }
            }
            loops.removeFirst()   // this helper's place in the loop (it is listed once per helper)
            condition.unlock()
            loop!.help(CoreBudget.shared)
        }
    }

    /// Returns when a loop is posted after `seen`, no core is free, or the poll time is up.
    private func poll(since seen: Int) {
        let end = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var step = 0
        while posts.load(ordering: .acquiring) == seen {
            cfclip_spin_pause()
            step += 1
            if step & 63 == 0 {
                if !CoreBudget.shared.anyFree || DispatchTime.now().uptimeNanoseconds > end { return }
            }
        }
    }
}
