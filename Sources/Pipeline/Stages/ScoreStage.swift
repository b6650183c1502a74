import Editing
import Tensors

/// The configured scores of every (sample, edit): CLIP similarity to the edit's text,
/// directional CLIP against the source text, ArcFace identity between source and edit, and
/// the latent distance. Source-image features are computed once per batch; CLIP sees the whole
/// batch in one call, ArcFace one image at a time (it gains nothing from more).
struct ScoreStage {
    let metrics: [Metric]
    let models: ModelSet

    func callAsFunction(_ batch: SampleBatch) throws -> SampleBatch {
        let t0 = StageClock.now()
        var b = batch
        let n = b.rows.count
        let wantsCLIP = metrics.contains(.clipSimilarity) || metrics.contains(.directionalCLIP)
        // CLIP's image tower computes an image the same in any batch (PackedMatrix), so the
        // sources and every scored edit go through it in one call, its weights read once
        let directional = metrics.contains(.directionalCLIP) && models.sourceTextEmbedding != nil
        let clipEdits = wantsCLIP ? models.edits.indices.filter { models.edits[$0].scoreText != nil } : []
        let clipBlocks = (directional ? [b.sourceImages!] : []) + clipEdits.map { b.editImages[$0] }
        let clipFeatures = clipBlocks.isEmpty ? nil : models.clipImages.map { $0.features(of: clipBlocks) }
        func clipRows(_ block: Int) -> Tensor { clipFeatures!.slice(block * n..<((block + 1) * n)) }
        let clipSource = directional && clipFeatures != nil ? clipRows(0) : nil
        let idSource = metrics.contains(.identity) ? try models.identity.map { id in try perSample(b.sourceImages!, id.features) } : nil
        b.scores = try models.edits.indices.map { e in
            var table = [[String: Float]](repeating: [:], count: n)
            func put(_ m: Metric, _ values: [Float]) { for i in 0..<n { table[i][m.rawValue] = values[i] } }
            let edit = models.edits[e]
            if clipFeatures != nil, let text = edit.scoreText, let at = clipEdits.firstIndex(of: e) {
                let f = clipRows(at + (directional ? 1 : 0))
                if metrics.contains(.clipSimilarity) {
                    put(.clipSimilarity, CLIPSimilarity(textFeature: text).scores(imageFeatures: f))
                }
                if metrics.contains(.directionalCLIP), let src = models.sourceTextEmbedding, let fs = clipSource {
                    put(.directionalCLIP, DirectionalCLIPSimilarity(targetFeature: text, sourceFeature: src)
                        .scores(sourceFeatures: fs, editFeatures: f))
                }
            }
            if let id = models.identity, let fs = idSource {
                put(.identity, id.scores(sourceFeatures: fs, editFeatures: try perSample(b.editImages[e], id.features)))
            }
            if metrics.contains(.latentL2) { put(.latentL2, LatentDistance.meanSquared(b.latents, b.edited[e])) }
            return table
        }
        b.charge("score", since: t0)
        return b
    }
}
