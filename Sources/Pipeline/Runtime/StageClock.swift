import Foundation
import Synchronization

/// Where each stage's time went: busy (working, holding a core), waiting for its input (the
/// stage before is slower), waiting to hand on (the stage after is slower) and waiting for a
/// core (another stage holds it). Names the stage that limits the throughput in progress lines,
/// done-markers and the report, and gives `cfclip-bench pipeline` its per-stage table.
public final class StageClock: Sendable {
    public static let stageOrder = ["read", "edit", "render", "score", "encode", "write"]

    public struct Times: Sendable, Equatable {
        public var busy = 0.0
        public var waitingInput = 0.0
        public var waitingOutput = 0.0
        public var waitingCore = 0.0
        public var items = 0
        public var waiting: Double { waitingInput + waitingOutput + waitingCore }
    }

    private let times = Mutex<[String: Times]>([:])
    /// (time, samples) each time the writer finishes a batch: the steady-state rate.
    private let finishedBatches = Mutex<[(Double, Int)]>([])

    public init() {}

    public func add(_ stage: String, seconds: Double) { times.withLock { $0[stage, default: Times()].busy += seconds; $0[stage]!.items += 1 } }

    func record(_ stage: String, _ change: (inout Times) -> Void) { times.withLock { change(&$0[stage, default: Times()]) } }

    /// The writer finished a batch of `samples` now.
    func finished(samples: Int) { let t = Self.now(); finishedBatches.withLock { $0.append((t, samples)) } }

    /// Busy seconds per stage.
    public var snapshot: [String: Double] { times.withLock { $0.mapValues(\.busy) } }

    public var stages: [String: Times] { times.withLock { $0 } }

    /// (time, samples) per finished batch, in order.
    public var batchFinishes: [(time: Double, samples: Int)] { finishedBatches.withLock { $0.map { (time: $0.0, samples: $0.1) } } }

    /// The stage with the most busy time so far.
    public var busiest: String? {
        let s = snapshot
        return Self.stageOrder.filter { s[$0] != nil }.max { s[$0]! < s[$1]! }
    }

    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
