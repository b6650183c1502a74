import Models
import Tensors

/// Applies every edit to every sample of a batch, one sample at a time: a mapper's
/// w + alpha * 0.1 * delta, a latent optimisation (rendered with the edit's generator and the
/// sample's own noise, so the result never depends on the batch), or the source latent itself.
struct EditStage {
    let edits: [ModelSet.Edit]
    let noise: RuntimeConfig.Noise
    let noiseSeed: UInt64
    let progress: ProgressReporter?

    func callAsFunction(_ batch: SampleBatch) throws -> SampleBatch {
        let t0 = StageClock.now()
        var b = batch
        var losses = [[[Float]]](repeating: [], count: edits.count)
        b.edited = try edits.enumerated().map { (k, e) in
            switch e.method {
            case .cfclipMapper, .styleclipMapper:
                return try perSample(b.latents) { w in
                    try e.mapper!.edit(w, textEmbedding: e.mapper!.kind == .cfclip ? e.textEmbedding : nil, alpha: e.config.alpha)
                }
            case .none:
                return b.latents
            case .optimize:
                var optimizer = e.optimizer!
                var i = 0
                let indices = b.indices
                return try perSample(b.latents) { w in
                    defer { i += 1 }
                    let index = indices[i], steps = optimizer.settings.steps
                    optimizer.models.noise = RenderStage.noise(noise, seed: noiseSeed, index: index)
                    let r = try optimizer.run(source: w, progress: { done in
                        if done % 5 == 0 || done == steps {
                            progress?.detail("edit \(e.config.name) of \(sampleKey(index)): step \(done)/\(steps)")
                        }
                    })
                    losses[k].append(r.losses)
                    return r.latent
                }
            }
        }
        b.losses = losses
        b.charge("edit", since: t0)
        return b
    }
}
