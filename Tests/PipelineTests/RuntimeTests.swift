import FixtureSupport
import Foundation
import Media
import Pipeline
import Synchronization
import XCTest

/// The pieces under the stages: bounded queues, the tar writer.
final class RuntimeTests: XCTestCase {
    /// The producer counts its own pushes; a slow consumer checks it never gets more than the
    /// capacity ahead. A queue that did not block would let it
    /// run to 50 at once (the queue's own highWater cannot show that: it is bounded by itself).
    func testBoundedQueueThrottlesAFastProducer() {
        let q = BoundedQueue<Int>(capacity: 2)
        let pushed = Mutex(0)
        let producer = StageThread(name: "producer") {
            for i in 0..<50 {
                q.push(i)
                pushed.withLock { $0 += 1 }
            }
            q.close()
        }
        producer.start()
        var got: [Int] = [], ahead = 0
        usleep(20_000)                      // let the producer fill the queue and block
        while let x = q.pop() {
            got.append(x)
            usleep(2_000)
            let n = got.count
            ahead = max(ahead, pushed.withLock { $0 } - n)
        }
        producer.join()
        XCTAssertEqual(got, Array(0..<50))
        XCTAssertLessThanOrEqual(ahead, 2, "the producer ran \(ahead) items ahead of a queue of capacity 2")
        XCTAssertGreaterThanOrEqual(ahead, 2, "the producer never filled the queue: the test shows nothing")
    }

    func testCancelWakesBlockedProducersAndConsumers() {
        let q = BoundedQueue<Int>(capacity: 1)
        q.push(1)
        let blocked = StageThread(name: "blocked") { _ = q.push(2) }
        blocked.start()
        usleep(20_000)
        q.cancel()
        blocked.join()
        XCTAssertNil(q.pop())
        XCTAssertFalse(q.push(3))
    }

    func testUstarWriterIsReadByGNUTar() throws {
        let tmp = try TemporaryDirectory()
        var bytes: [UInt8] = []
        let tar = TarWriter { bytes += $0 }
        try tar.append(name: "000000000.src.png", data: Array(repeating: 7, count: 1000))
        try tar.append(name: "000000000.json", data: Array("{}".utf8))
        try tar.append(name: "empty.txt", data: [])
        try tar.finish()
        XCTAssertEqual(bytes.count % 512, 0)
        let path = try tmp.write("t.tar", bytes)
        let (status, listing) = try shell("/usr/bin/tar", ["tvf", path])
        XCTAssertEqual(status, 0, listing)
        XCTAssertTrue(listing.contains("1000") && listing.contains("000000000.src.png") && listing.contains("empty.txt"), listing)
        let members = try TarReader.members(bytes)
        XCTAssertEqual(members.map(\.name), ["000000000.src.png", "000000000.json", "empty.txt"])
        XCTAssertEqual(Array(members[1].data), Array("{}".utf8))
        XCTAssertThrowsError(try tar.append(name: String(repeating: "k", count: 101), data: []))
    }
}
