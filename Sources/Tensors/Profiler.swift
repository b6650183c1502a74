import Foundation

/// `CFCLIP_PROFILE=1`: wall time per labelled section (training-step phases, each backward
/// site of a tape), printed to stderr by `report`. Off by default; then it only runs the body.
public final class Profiler: @unchecked Sendable {
    public static let enabled = ProcessInfo.processInfo.environment["CFCLIP_PROFILE"] == "1"

    private var totals: [String: (ns: UInt64, count: Int, faults: Int)] = [:]
    private var order: [String] = []
    private let title: String

    public init(_ title: String) { self.title = title }

    /// Runs `body`, adding its wall time to `label` when profiling is on.
    public func measure<T>(_ label: @autoclosure () -> String, _ body: () throws -> T) rethrows -> T {
        guard Self.enabled else { return try body() }
        let t0 = DispatchTime.now().uptimeNanoseconds, f0 = Self.pageFaults()
        defer { add(label(), DispatchTime.now().uptimeNanoseconds - t0, Self.pageFaults() - f0) }
        return try body()
    }

    func add(_ label: String, _ ns: UInt64, _ faults: Int) {
        if totals[label] == nil { order.append(label) }
        let old = totals[label] ?? (0, 0, 0)
        totals[label] = (old.ns + ns, old.count + 1, old.faults + faults)
    }

    /// Minor page faults of the process so far (first touches of fresh memory are slow here).
    static func pageFaults() -> Int {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return u.ru_minflt
    }

    /// Prints the sections (in first-seen order, or slowest first) and clears them.
    public func report(slowestFirst: Bool = false, limit: Int = 40) {
        guard Self.enabled, !totals.isEmpty else { return }
        let all = totals.values.reduce(0) { $0 + $1.ns }
        let labels = slowestFirst ? order.sorted { totals[$0]!.ns > totals[$1]!.ns } : order
        var text = String(format: "%@ %.3f s\n", title, Double(all) / 1e9)
        for label in labels.prefix(limit) {
            let t = totals[label]!
            text += String(format: "  %8.3f s  %5d x  %7.1f MB faulted  %@\n", Double(t.ns) / 1e9, t.count,
                           Double(t.faults) * 4096 / 1e6, label)
        }
        FileHandle.standardError.write(text.data(using: .utf8)!)
        totals.removeAll(); order.removeAll()
    }
}
