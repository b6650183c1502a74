import FixtureSupport
import Foundation
import Media
import Pipeline
import XCTest

/// The pieces under the stages: bounded queues, the tar writer.
final class RuntimeTests: XCTestCase {
    func testBoundedQueueThrottlesAFastProducer() {
        let q = BoundedQueue<Int>(capacity: 2)
        let producer = StageThread(name: "producer") {
            for i in 0..<50 { q.push(i) }
            q.close()
        }
        producer.start()
        var got: [Int] = []
        while let x = q.pop() { got.append(x); usleep(200) }
        producer.join()
        XCTAssertEqual(got, Array(0..<50))
        XCTAssertLessThanOrEqual(q.highWater, 2)
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
