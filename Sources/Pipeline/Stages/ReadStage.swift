import Tensors

/// The first stage: the owned shards' rows, read in storage-aligned slabs, cut into batches
/// that never cross a shard boundary.
struct ReadStage {
    let source: LatentSource
    let plan: ShardPlan
    let shards: [Int]
    let batchSize: Int

    func run(into output: BoundedQueue<SampleBatch>, failure: PipelineFailure, clock: StageClock) {
        defer { output.close() }
        for shard in shards {
            let rows = plan.rows(of: shard)
            let started = StageClock.now()
            for slab in alignedSlabs(rows, alignment: source.alignment, minimum: batchSize) {
                let t0 = StageClock.now()
                let codes: Tensor
                do { codes = try source.read(slab) } catch {
                    failure.record(error)
                    return
                }
                let seconds = StageClock.now() - t0
                clock.add("read", seconds: seconds)
                var a = slab.lowerBound
                while a < slab.upperBound {
                    let b = min(a + batchSize, slab.upperBound)
                    var batch = SampleBatch(shard: shard, rows: a..<b, indices: (a..<b).map(source.sampleIndex), lastOfShard: b == rows.upperBound,
                                            shardStarted: started, latents: codes.slice((a - slab.lowerBound)..<(b - slab.lowerBound)))
                    batch.timings["read"] = seconds * Double(b - a) / Double(slab.count)
                    let t1 = StageClock.now()
                    let ok = output.push(batch)
                    clock.record("read") { $0.waitingOutput += StageClock.now() - t1 }
                    if !ok { return }
                    a = b
                }
            }
        }
    }
}
