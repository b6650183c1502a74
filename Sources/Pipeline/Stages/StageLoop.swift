import Tensors

/// The loop every stage thread runs: take an item, work on it, pass it on; stop when the
/// input ends (then close the output) or when the run failed (any error cancels all queues).
/// A compute stage works only while it holds one of the process's cores (`CoreBudget`), so
/// the stages share the cores instead of oversubscribing them; the clock records the stage's
/// busy time and what it waited for.
enum StageLoop {
    static func run<In, Out>(_ name: String, input: BoundedQueue<In>, output: BoundedQueue<Out>?,
                             failure: PipelineFailure, clock: StageClock, compute: Bool = true,
                             _ body: (In) throws -> Out) {
        while true {
            var t = StageClock.now()
            guard let item = input.pop() else { break }
            let popped = StageClock.now()
            clock.record(name) { $0.waitingInput += popped - t }
            let result: Out
            var coreWait = 0.0
            do {
                result = compute ? try CoreBudget.shared.withCore(waited: { coreWait = $0 }) { try body(item) } : try body(item)
            } catch {
                failure.record(error)
                return
            }
            t = StageClock.now()
            clock.record(name) { $0.busy += t - popped - coreWait; $0.waitingCore += coreWait; $0.items += 1 }
            if let output {
                let ok = output.push(result)
                let pushed = StageClock.now()
                clock.record(name) { $0.waitingOutput += pushed - t }
                if !ok { return }
            }
        }
        output?.close()
    }
}

extension SampleBatch {
    /// Adds `seconds` of `stage` work to this batch's record.
    mutating func charge(_ stage: String, since t0: Double) { timings[stage, default: 0] += StageClock.now() - t0 }
}
