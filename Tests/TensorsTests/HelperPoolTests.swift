import Foundation
import Synchronization
import Tensors
import XCTest

/// The polling helpers behind `Parallel.for`.
final class HelperPoolTests: XCTestCase {
    /// Three stages post loops at once, of every size, on 2 and 3 threads: each item must run
    /// exactly once and every permit come back. Would catch a helper that runs a withdrawn
    /// loop's body after its caller returned, a post lost while a helper goes to sleep (a loop
    /// then waits forever for nothing, or runs alone), or a permit kept by a polling helper.
    func testConcurrentLoopsRunEachItemOnceAndReturnEveryPermit() {
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        for threads in [2, 3] {
            Parallel.setThreads(threads)
            let failures = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 3) { stage in
                var rng = SystemRandomNumberGenerator()
                for round in 0..<300 {
                    let count = Int.random(in: 1...400, using: &rng)
                    let hits = UnsafeMutablePointer<Int32>.allocate(capacity: count)
                    hits.initialize(repeating: 0, count: count)
                    let out = SendablePointer(hits)
                    let body = { (r: Range<Int>) in for i in r { out.p[i] += 1 } }
                    CoreBudget.shared.withCore {
                        Parallel.for(count, costPerItem: 1 << 12, body)
                    }
                    if (0..<count).contains(where: { hits[$0] != 1 }) { failures.add(1, ordering: .relaxed) }
                    hits.deallocate()
                    if round % 50 == 0 { usleep(UInt32(3_000 * stage)) }   // let helpers fall asleep
                }
            }
            XCTAssertEqual(failures.load(ordering: .relaxed), 0, "\(threads) threads: an item ran twice or never")
            XCTAssertEqual(CoreBudget.shared.available, threads, "\(threads) threads: a permit leaked")
        }
    }

    /// After a loop, once other stages hold every core, the helpers must stop polling: they
    /// would take time from the stages that hold the cores (3 threads computing on 2 cores).
    func testHelpersStopPollingOnceEveryCoreIsHeld() throws {
        let saved = Parallel.threads
        Parallel.setThreads(2)
        defer { Parallel.setThreads(saved) }
        let looped = DispatchSemaphore(value: 0), goB = DispatchSemaphore(value: 0), held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let inside = Atomic<Int>(0)
        // stage B, started first (a thread takes milliseconds to start): takes the other core
        Thread { goB.wait(); CoreBudget.shared.withCore { held.signal(); release.wait() }; done.signal() }.start()
        // stage A: a two-chunk loop whose chunks wait for each other, so a helper surely ran it
        // and polls after it (one core is still free)
        Thread {
            CoreBudget.shared.withCore {
                Parallel.for(2, costPerItem: 1 << 20) { _ in
                    inside.add(1, ordering: .relaxed)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    while inside.load(ordering: .relaxed) < 2, DispatchTime.now().uptimeNanoseconds - t0 < 1_000_000_000 {}
                }
                goB.signal()
                looped.signal()
                release.wait()
            }
            done.signal()
        }.start()
        looped.wait()
        XCTAssertEqual(inside.load(ordering: .relaxed), 2, "no helper joined the loop")
        held.wait()
        let before = try Self.helperCPUNanoseconds()
        usleep(100_000)
        let spent = try Self.helperCPUNanoseconds() - before
        release.signal(); release.signal()
        done.wait(); done.wait()
        // a helper polling for its full time would spend 2 ms here
        XCTAssertLessThan(spent, 500_000, "a helper polled while both cores were held")
    }

    /// CPU time of the helper threads, in ns (/proc's schedstat: the process's rusage also
    /// counts the test harness's own threads).
    static func helperCPUNanoseconds() throws -> Int {
        var total = 0, helpers = 0
        for t in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") {
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(t)/comm", encoding: .utf8),
                  name.hasPrefix("cfclip-helper"),
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(t)/schedstat", encoding: .utf8),
                  let ns = Int(stat.split(separator: " ")[0]) else { continue }
            total += ns; helpers += 1
        }
        XCTAssertGreaterThan(helpers, 0, "no helper thread found")
        return total
    }
}
