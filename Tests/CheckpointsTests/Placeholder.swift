import XCTest
final class CheckpointsTestsPlaceholder: XCTestCase { func testBuilds() {} }
