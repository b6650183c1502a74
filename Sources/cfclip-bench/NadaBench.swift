import ArgumentParser
import Editing
import Foundation
import Models
import Tensors
import Training

/// StyleGAN-NADA iterations at full size with seeded random weights (generator config-f,
/// CLIP ViT-B/32 and ViT-B/16), beside the forward passes an iteration needs, timed on the same
/// models: with the selection, 8 + 2 + 2 renders at batch 1 cost and (8 + 2 + 2) x models CLIP
/// passes; without it 2 + 2 and 4 x models. The ratio of the two is the iteration's overhead
/// (backward passes, weight gradients, Adam, rebuilding the generator).
struct NadaBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nada",
        abstract: "Seconds per StyleGAN-NADA iteration against the sum of its forward passes, and peak RSS.")
    @Option(help: "Generator resolution.") var size = 1024
    @Option(help: "Codes per iteration.") var batch = 2
    @Option(help: "SGD steps of the layer selection (0: no selection, the default layers train).") var autoLayerIters = 1
    @Option(help: "Codes of the layer selection.") var autoLayerBatch = 8
    @Option(help: "Layers trained per iteration.") var autoLayerK = 18
    @Option(help: "Selection codes rendered at once.") var selectionChunk = 2
    @Option(help: "CLIP models: 2 (ViT-B/32 and ViT-B/16) or 1 (ViT-B/32).") var clipModels = 2
    @Option(help: "Timed iterations.") var iterations = 1
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        Parallel.setThreads(threads)
        let gcfg = GeneratorConfig.configF(size: size)
        let dict = gcfg.randomStateDict(seed: 1)
        let twin = try TrainableGenerator(dict, source: "random")
        let configs = [CLIPConfig.vitB32, CLIPConfig.vitB16].prefix(max(1, min(clipModels, 2)))
        let losses = try configs.enumerated().map { i, c in
            let model = try CLIPModel.load(from: c.randomStateDict(seed: UInt64(2 + i)), source: "random")
            let d = l2Normalized(Tensor(shape: [1, model.embedDim], values: SeededNoise.gaussian(count: model.embedDim, seed: UInt64(6 + i))))
            let t = Tensor(shape: [1, model.embedDim], values: SeededNoise.gaussian(count: model.embedDim, seed: UInt64(9 + i)))
            return NadaCLIPLoss(model: model, weight: 1, direction: d, targetFeatures: t)
        }
        var s = NadaSettings()
        s.batch = batch; s.autoLayerIters = autoLayerIters; s.autoLayerBatch = autoLayerBatch
        s.autoLayerK = min(autoLayerK, gcfg.nLatent); s.selectionChunk = selectionChunk
        var trainer = try NadaTrainer(settings: s, generator: twin, losses: losses)

        // the forwards an iteration needs, on the same models
        let g = twin.generator
        let w = g.broadcast(g.mapping(Tensor(shape: [1, gcfg.styleDim], values: SeededNoise.gaussian(count: gcfg.styleDim, seed: 8))))
        _ = try g.synthesize(w, noise: .seeded([0]))   // warm-up: first-touch pages and packed weights
        var t0 = DispatchTime.now().uptimeNanoseconds
        let image = try g.synthesize(w, noise: .seeded([0]))
        let render = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        var clipSeconds = 0.0
        for l in losses {
            t0 = DispatchTime.now().uptimeNanoseconds
            _ = l.imageFeatures(Var(image))
            clipSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        let images = Double(2 * batch + (autoLayerIters > 0 ? autoLayerBatch * autoLayerIters : 0))
        let forwardSum = images * (render + clipSeconds)

        var times: [Double] = []
        for i in 0..<max(iterations, 1) {
            let draws = NadaDraws.sample(iteration: i, seed: 2, settings: s, config: gcfg)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try trainer.step(draws) { phase in
                let now = DispatchTime.now().uptimeNanoseconds
                if !json { FileHandle.standardError.write(Data(String(format: "iteration %d: %@ from %.1f s\n", i, phase, Double(now - start) / 1e9).utf8)) }
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            if !json { FileHandle.standardError.write(Data(String(format: "iteration %d: %.1f s\n", i, times[i]).utf8)) }
        }
        let mean = times.reduce(0, +) / Double(times.count)
        printResults([("seconds_per_iteration", mean), ("best_seconds_per_iteration", times.min()!),
                      ("render_seconds", render), ("clip_seconds_all_models", clipSeconds), ("forward_sum_seconds", forwardSum),
                      ("iteration_over_forward_sum", mean / forwardSum), ("size", Double(size)), ("batch", Double(batch)),
                      ("selection", autoLayerIters > 0 ? 1 : 0), ("clip_models", Double(losses.count)), ("threads", Double(threads)),
                      ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }
}
