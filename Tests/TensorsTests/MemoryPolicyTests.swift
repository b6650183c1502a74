import Foundation
import Tensors
import XCTest

/// `MemoryPolicy` keeps freed blocks in one heap that every thread allocates from.
final class MemoryPolicyTests: XCTestCase {
    /// Resident memory of this process in bytes (/proc/self/statm's second field, in pages).
    static func resident() throws -> Int {
        let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return Int(fields[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func onNewThread(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let t = Thread { body(); done.signal() }
        t.start()
        done.wait()
    }

    /// A 16 MB tensor freed by one thread is the block the next thread's 16 MB tensor gets,
    /// already resident. With glibc's arena per thread the second thread faulted in 16 MB of
    /// fresh pages while the first thread's arena kept its own (the pipeline's stages each grew
    /// a heap: 1.95 GB peak instead of 1.61).
    func testAnotherThreadReusesAFreedTensorsPages() throws {
        _ = Tensor(zeros: [1])
        let count = 4 << 20
        Self.onNewThread { _ = Tensor(zeros: [count]) }
        let before = try Self.resident()
        let grew = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { grew.deallocate() }
        let g = SendablePointer(grew)
        Self.onNewThread {
            let t = Tensor(zeros: [count])
            g.p.pointee = ((try? Self.resident()) ?? 0) - before
            _ = t.count
        }
        XCTAssertLessThan(grew.pointee, 8 << 20, "the second thread's tensor faulted in fresh pages")
    }
}
