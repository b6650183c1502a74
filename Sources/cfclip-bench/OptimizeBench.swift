import ArgumentParser
import Editing
import Foundation
import Models
import Tensors
import Training

/// One full-size latent-optimisation step (one sample, as the pipeline runs them) of either
/// preset with seeded random weights: generator config-f, CLIP ViT-B/32, and IR-SE50 (StyleCLIP
/// with its faces' identity term) or VGG16 to relu4_3 (TediGAN). Also times a generator
/// forward on the same code, so the step reads as a multiple of it.
struct OptimizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "optimize",
        abstract: "Seconds per latent-optimisation step (StyleCLIP or TediGAN preset) against one generator forward, and peak RSS.")
    @Option(help: "styleclip or tedigan.") var preset: OptimizationSettings.Preset = .styleclip
    @Option(help: "Generator resolution.") var size = 1024
    @Option(help: "StyleCLIP's identity weight (its faces setting is 0.005; 0 leaves IR-SE50 out).") var identity: Float = 0.005
    @Option(help: "TediGAN's perceptual weight (5e-5; 0 leaves VGG16 out, to time the rest of the step).") var perceptual: Float = 5e-5
    @Option(help: "Untimed steps first.") var warmup = 1
    @Option(help: "Timed steps after the warm-up.") var repeats = 2
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        Parallel.setThreads(threads)
        let gcfg = GeneratorConfig.configF(size: size)
        let g = try Generator.load(from: gcfg.randomStateDict(seed: 1), prefix: "", source: "random")
        let clip = try CLIPModel.load(from: CLIPConfig.vitB32.randomStateDict(seed: 2), source: "random")
        var settings = OptimizationSettings(preset: preset)
        settings.steps = max(warmup, 0) + max(repeats, 1)
        settings.start = .source
        if preset == .styleclip { settings.weights.identity = identity } else { settings.weights.perceptual = perceptual }
        let text = Tensor(shape: [1, clip.embedDim], values: SeededNoise.gaussian(count: clip.embedDim, seed: 6))
        var models = OptimizationModels(generator: g, clip: clip, textFeatures: text)
        if settings.weights.identity > 0 {
            models.idLoss = IDLoss(facenet: try Backbone.load(from: BackboneConfig.irse(numLayers: 50).randomStateDict(seed: 3), source: "random"))
        }
        if settings.weights.perceptual > 0 {
            models.vgg = try VGG.load(from: VGG.randomStateDict(depth: .vgg16, layout: .idinvert, seed: 3), source: "random")
        }
        let w = Tensor(shape: [1, gcfg.nLatent, gcfg.styleDim], values: SeededNoise.gaussian(count: gcfg.nLatent * gcfg.styleDim, seed: 8))
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try g.synthesize(w)
        let forward = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        var times: [Double] = []
        var last = DispatchTime.now().uptimeNanoseconds
        _ = try LatentOptimizer(settings: settings, models: models).run(source: w, progress: { i in
            let now = DispatchTime.now().uptimeNanoseconds
            times.append(Double(now - last) / 1e9)
            last = now
            if !json { FileHandle.standardError.write(Data(String(format: "step %d: %.2f s%@\n", i, times[i - 1], i <= warmup ? " (warm-up)" : "").utf8)) }
        })
        // the first step also renders the source image (one forward): it is a warm-up step
        let timed = times.dropFirst(max(warmup, 0))
        let mean = timed.reduce(0, +) / Double(timed.count)
        printResults([("seconds_per_step", mean), ("best_seconds_per_step", timed.min()!), ("generator_forward_seconds", forward),
                      ("step_over_forward", mean / forward), ("size", Double(size)), ("threads", Double(threads)),
                      ("tedigan", preset == .tedigan ? 1 : 0), ("identity_term", settings.weights.identity > 0 ? 1 : 0),
                      ("perceptual_term", settings.weights.perceptual > 0 ? 1 : 0),
                      ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }
}

extension OptimizationSettings.Preset: ExpressibleByArgument {}
