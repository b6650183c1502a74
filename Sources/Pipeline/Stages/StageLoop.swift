/// The loop every stage thread runs: take an item, work on it, pass it on; stop when the
/// input ends (then close the output) or when the run failed (any error cancels all queues).
enum StageLoop {
    static func run<In, Out>(_ name: String, input: BoundedQueue<In>, output: BoundedQueue<Out>?,
                             failure: PipelineFailure, clock: StageClock,
                             _ body: (In) throws -> Out) {
        while let item = input.pop() {
            let t0 = StageClock.now()
            let result: Out
            do { result = try body(item) } catch {
                failure.record(error)
                return
            }
            clock.add(name, seconds: StageClock.now() - t0)
            if let output, !output.push(result) { return }
        }
        output?.close()
    }
}

extension SampleBatch {
    /// Adds `seconds` of `stage` work to this batch's record.
    mutating func charge(_ stage: String, since t0: Double) { timings[stage, default: 0] += StageClock.now() - t0 }
}
