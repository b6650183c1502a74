import Foundation
import Synchronization
import Tensors
import XCTest

/// The core budget: a parallel loop adds helpers only for free cores, and one that frees while
/// the loop runs joins it. Would catch a loop that starts a thread per chunk whatever the other
/// pipeline stages hold (three threads on two cores), or one that never uses a core freed late.
final class CoreBudgetTests: XCTestCase {
    final class Counter: @unchecked Sendable {
        let running = Atomic<Int>(0), most = Atomic<Int>(0), items = Atomic<Int>(0)
        func enter() {
            let now = running.add(1, ordering: .relaxed).newValue
            var seen = most.load(ordering: .relaxed)
            while now > seen, !most.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
                seen = most.load(ordering: .relaxed)
            }
        }
        func leave(_ n: Int) { items.add(n, ordering: .relaxed); running.subtract(1, ordering: .relaxed) }
    }

    func loop(_ c: Counter, items: Int = 40, sleepMicros: UInt32 = 5_000) {
        Parallel.for(items, costPerItem: 1 << 20) { range in
            c.enter()
            for _ in range { usleep(sleepMicros) }
            c.leave(range.count)
        }
    }

    func testLoopUsesOnlyFreeCoresAndJoinsWhenOneFrees() {
        let saved = Parallel.threads
        Parallel.setThreads(2)
        defer { Parallel.setThreads(saved) }
        XCTAssertEqual(CoreBudget.shared.available, 2)

        // another stage holds one core for the whole loop: the loop runs on the other alone
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread { CoreBudget.shared.withCore { held.signal(); release.wait() }; done.signal() }.start()
        held.wait()
        let alone = Counter()
        loop(alone)
        XCTAssertEqual(alone.most.load(ordering: .relaxed), 1, "a helper ran on the core another stage holds")
        XCTAssertEqual(alone.items.load(ordering: .relaxed), 40)

        // the core frees 20 ms into a 200 ms loop: a helper joins with it
        let joined = Counter()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { release.signal() }
        loop(joined)
        done.wait()
        XCTAssertEqual(joined.most.load(ordering: .relaxed), 2, "the freed core never joined the loop")
        XCTAssertEqual(joined.items.load(ordering: .relaxed), 40)
        XCTAssertEqual(CoreBudget.shared.available, 2, "a permit leaked")
    }
}
