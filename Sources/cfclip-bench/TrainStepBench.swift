import Editing
import ArgumentParser
import Checkpoints
import Foundation
import Models
import Tensors
import Training

/// One full-size CF-CLIP training step (batch 2, CLIP-NCE on 8 perspective views, latent L2,
/// ArcFace identity for faces or VGG19 perceptual for animals) with seeded random weights:
/// generator, CLIP ViT-B/32, IR-SE50 or VGG19, mapper.
/// Reports the mean and best of the timed steps, which follow the warm-up steps.
struct TrainStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-step",
        abstract: "Seconds per training step at batch 2 and peak RSS (full-size models, random weights).")
    @Option(help: "Generator resolution: 1024 (FFHQ) or 512 (AFHQ).") var size = 1024
    @Option(help: "Latents per step.") var batch = 2
    @Option(help: "Perspective views for CLIP-NCE.") var views = 8
    @Option(help: "Untimed steps first: the allocator's heap grows to its working size over the first two.") var warmup = 2
    @Option(help: "Timed steps after the warm-up steps.") var repeats = 2
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Option(help: "The image-space loss: identity (ArcFace IR-SE50, faces: λ 0.2) or perceptual (VGG19 relu5_2, animals: λ 0.02).")
    var imageLoss: ImageLoss = .identity

    enum ImageLoss: String, ExpressibleByArgument { case identity, perceptual }
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        Parallel.setThreads(threads)
        let gcfg = GeneratorConfig.configF(size: size)
        let g = try Generator.load(from: gcfg.randomStateDict(seed: 1), prefix: "", source: "random")
        let clip = try CLIPModel.load(from: CLIPConfig.vitB32.randomStateDict(seed: 2), source: "random")
        let idLoss = imageLoss == .identity
            ? IDLoss(facenet: try Backbone.load(from: BackboneConfig.irse(numLayers: 50).randomStateDict(seed: 3), source: "random")) : nil
        let perceptual = imageLoss == .perceptual
            ? PerceptualLoss(vgg: try VGG.load(from: VGG.randomStateDict(seed: 3), source: "random")) : nil
        let e = clip.embedDim
        let text = l2Normalized(Tensor(shape: [79, e], values: SeededNoise.gaussian(count: 79 * e, seed: 4)))
        let text2 = l2Normalized(Tensor(shape: [79, e], values: SeededNoise.gaussian(count: 79 * e, seed: 5)))
        let models = TrainingModels(generator: g, clip: clip, textEmbedding: Tensor(shape: [e], values: SeededNoise.gaussian(count: e, seed: 6)),
                                    sourceText: text, targetText: text2, idLoss: idLoss, perceptual: perceptual)
        var rng = RandomState(seed: 7)
        let mapper = try MapperInit.random(kind: .cfclip, dim: gcfg.styleDim, nLatent: gcfg.nLatent, rng: &rng)
        let w = Tensor(shape: [batch, gcfg.nLatent, gcfg.styleDim], values: SeededNoise.gaussian(count: batch * gcfg.nLatent * gcfg.styleDim, seed: 8))
        let step = TrainingStep(kind: .nce, weights: LossWeights(id: imageLoss == .identity ? 0.2 : 0,
                                                                 perceptual: imageLoss == .perceptual ? 0.02 : 0, latentL2: 0.8, clip: 0.3))
        let warps = (0..<views).map { _ in PerspectiveAugment.sample(width: size, height: size, distortion: 0.5, rng: &rng) }
        var times: [Double] = []
        for i in 0..<(max(warmup, 0) + max(repeats, 1)) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try step.run(mapper: mapper, w: w, models: models, warps: warps)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            if !json { FileHandle.standardError.write(Data(String(format: "step %d: %.2f s%@\n", i + 1, times[i], i < warmup ? " (warm-up)" : "").utf8)) }
        }
        let timed = times.dropFirst(max(warmup, 0))
        printResults([("seconds_per_step", timed.reduce(0, +) / Double(timed.count)), ("best_seconds_per_step", timed.min()!),
                      ("first_step_seconds", times[0]), ("batch", Double(batch)), ("views", Double(views)), ("size", Double(size)),
                      ("threads", Double(threads)), ("perceptual", imageLoss == .perceptual ? 1 : 0), ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }
}
