import Foundation
import Synchronization

/// Busy seconds per stage (time spent working, not waiting on a queue), to name the stage
/// that limits the throughput in progress lines, done-markers and the report.
public final class StageClock: Sendable {
    public static let stageOrder = ["read", "edit", "render", "score", "encode", "write"]
    private let busy = Mutex<[String: Double]>([:])

    public init() {}

    public func add(_ stage: String, seconds: Double) { busy.withLock { $0[stage, default: 0] += seconds } }

    public var snapshot: [String: Double] { busy.withLock { $0 } }

    /// The stage with the most busy time so far.
    public var busiest: String? {
        let s = snapshot
        return Self.stageOrder.filter { s[$0] != nil }.max { s[$0]! < s[$1]! }
    }

    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
