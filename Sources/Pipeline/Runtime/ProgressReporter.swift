import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Progress on stderr: samples done of total, samples per minute, ETA and the busiest stage.
/// On a terminal one line is redrawn at most once a second; otherwise (logs, Slurm output)
/// a plain line is printed at most every 10 seconds, plus a last one at the end.
public final class ProgressReporter: Sendable {
    struct State { var done = 0; var lastPrint = 0.0; var printedFinal = false; var detail: String? }
    let total: Int
    let skipped: Int
    let clock: StageClock
    let enabled: Bool
    let interactive: Bool
    let start = StageClock.now()
    private let state = Mutex(State())

    public init(total: Int, skipped: Int, clock: StageClock, enabled: Bool) {
        self.total = total; self.skipped = skipped; self.clock = clock; self.enabled = enabled
        interactive = isatty(2) != 0
    }

    func advance(by n: Int) {
        let now = StageClock.now()
        let line: String? = state.withLock { s in
            s.done += n
            s.detail = nil
            let interval = interactive ? 1.0 : 10.0
            guard enabled, now - s.lastPrint >= interval || s.done + skipped == total else { return nil }
            s.lastPrint = now
            s.printedFinal = s.done + skipped == total
            return text(done: s.done, now: now)
        }
        if let line { emit(line, final: false) }
    }

    /// Work within a sample that takes long (a latent optimisation's steps), shown after the
    /// counts until the next sample is done: "edit tedigan of 000000017: step 57/200".
    func detail(_ text: String) {
        let now = StageClock.now()
        let line: String? = state.withLock { s in
            s.detail = text
            guard enabled, now - s.lastPrint >= (interactive ? 1.0 : 10.0) else { return nil }
            s.lastPrint = now
            return self.text(done: s.done, now: now, detail: text)
        }
        if let line { emit(line, final: false) }
    }

    /// The closing line (always printed when enabled, so short runs say what they did).
    public func finish() {
        guard enabled else { return }
        let (done, already) = state.withLock { s in
            defer { s.printedFinal = true }
            return (s.done, s.printedFinal)
        }
        if already { if interactive { emit("", final: true) } ; return }
        emit(text(done: done, now: StageClock.now()), final: true)
    }

    func text(done: Int, now: Double, detail: String? = nil) -> String {
        if done == 0 && skipped == total { return "cfclip-batch: all \(total) samples were already done" }
        let elapsed = max(now - start, 1e-6)
        let rate = Double(done) / elapsed * 60
        let left = total - skipped - done
        var parts = ["\(done + skipped)/\(total) samples"]
        if skipped > 0 { parts[0] += " (\(skipped) from finished shards)" }
        parts.append(String(format: "%.1f/min", rate))
        if left > 0 && done > 0 { parts.append("ETA " + Self.duration(Double(left) / (Double(done) / elapsed))) }
        else { parts.append("elapsed " + Self.duration(elapsed)) }
        if let b = clock.busiest { parts.append("busiest stage: \(b)") }
        if let detail { parts.append(detail) }
        return "cfclip-batch: " + parts.joined(separator: ", ")
    }

    func emit(_ line: String, final: Bool) {
        let out = interactive ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(out.utf8))
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }
}
