import Models

/// Every edit of a batch: w' = w + alpha * 0.1 * M(w [, t]) per configured mapper.
struct EditStage {
    let edits: [ModelSet.Edit]

    func callAsFunction(_ batch: SampleBatch) throws -> SampleBatch {
        let t0 = StageClock.now()
        var b = batch
        b.edited = try edits.map { e in
            try perSample(b.latents) { w in
                try e.mapper.edit(w, textEmbedding: e.mapper.kind == .cfclip ? e.textEmbedding : nil, alpha: e.config.alpha)
            }
        }
        b.charge("edit", since: t0)
        return b
    }
}
