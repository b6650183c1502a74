import Checkpoints
import Editing
import Foundation
import Media
import Models
import Tensors
import Training

/// `cfclip demo-assets`: a self-contained model set for `pipelines/demo.yaml` and
/// `pipelines/demo_methods.yaml`, so a fresh clone runs the whole pipeline with nothing
/// downloaded. Every model has seeded random weights in small sizes (a 64x64 generator with
/// style_dim 64, two CF-CLIP mappers and a StyleCLIP mapper that embed it, a 2-layer CLIP with
/// a byte-level vocabulary, a 4-unit IR-SE backbone, a narrow VGG16 in TediGAN's layout), and
/// the latents are sampled codes of that generator. `generator_nada.pt` is that generator after
/// a few StyleGAN-NADA iterations (`cfclip train-nada` on the demo models). The pictures are noise: real edits need the official checkpoints
/// (pipelines/celeba_green_lipstick.yaml, pipelines/celeba_methods.yaml).
public enum DemoAssets {
    public static let generatorConfig = GeneratorConfig(size: 64, styleDim: 64, nMLP: 4, channels: [64, 64, 32, 32, 16])
    public static var clipConfig: CLIPConfig {
        var c = CLIPConfig()
        c.embedDim = generatorConfig.styleDim          // the text mapper reads the CLIP embedding as a latent row
        c.imageResolution = 64; c.visionPatch = 16; c.visionWidth = 64; c.visionLayers = 2
        c.vocabSize = ByteLevelVocabulary.size; c.textWidth = 64; c.textLayers = 2
        return c
    }
    public static let arcfaceConfig = BackboneConfig(
        stem: 8, stages: [.init(inChannel: 8, depth: 16, numUnits: 1), .init(inChannel: 16, depth: 24, numUnits: 1),
                          .init(inChannel: 24, depth: 32, numUnits: 1), .init(inChannel: 32, depth: 48, numUnits: 1)],
        featureSize: 7, embeddingDim: 64)

    /// The demo CF-CLIP mappers: (file stem, seed).
    public static let mappers = [("mapper_green_lipstick", UInt64(31)), ("mapper_tiger_stripes", UInt64(32))]
    /// The demo StyleCLIP mapper: (file stem, seed).
    public static let styleclipMapper = ("styleclip_mapper_green_lipstick", UInt64(33))
    /// The demo VGG16's widths (released: 64 ... 512).
    public static let vgg16Widths = [8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64]

    /// Writes the bundle into `dir`; returns the files written.
    @discardableResult
    public static func write(to dir: String, latents count: Int, seed: UInt64 = 2024) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var written: [String] = []
        func path(_ name: String) -> String { written.append(dir + "/" + name); return dir + "/" + name }

        let gdict = generatorStateDict(seed: seed)
        let avg = try Generator.load(from: gdict, prefix: "", source: "demo generator").meanLatent()
        var full = StateDict(source: "demo generator")
        for name in gdict.names { full.insert("g_ema." + name, gdict.stored(name)!) }
        full.insert("latent_avg", StoredTensor(avg))
        let generator = try Generator.load(from: full, prefix: "g_ema.", source: "demo generator")
        var gTensors: [String: Tensor] = [:]
        for name in full.names { gTensors[name] = full.tensors[name]! }
        try Safetensors.write(gTensors, metadata: ["format": "rosinality generator (demo, seeded random weights)"], to: path("generator.safetensors"))

        for (stem, mseed) in mappers {
            var t = cfclipMapperTensors(dim: generatorConfig.styleDim, nLatent: generatorConfig.nLatent, seed: mseed)
            for name in gdict.names { t["decoder." + name] = gdict.tensors[name]! }
            try Safetensors.write(t, metadata: ["format": "CF-CLIP mapper (demo, seeded random weights)"], to: path(stem + ".safetensors"))
        }
        var sm = styleclipMapperTensors(dim: generatorConfig.styleDim, seed: styleclipMapper.1)
        for name in gdict.names { sm["decoder." + name] = gdict.tensors[name]! }
        try Safetensors.write(sm, metadata: ["format": "StyleCLIP mapper (demo, seeded random weights)"], to: path(styleclipMapper.0 + ".safetensors"))
        var vgg: [String: Tensor] = [:]
        let vdict = VGG.randomStateDict(depth: .vgg16, widths: vgg16Widths, layout: .idinvert, seed: seed &+ 13)
        for n in vdict.names { vgg[n] = vdict.tensors[n]! }
        try Safetensors.write(vgg, metadata: ["format": "idinvert/TediGAN VGG16 (demo, seeded random weights)"], to: path("vgg16.safetensors"))
        var clip: [String: Tensor] = [:]
        let cdict = clipConfig.randomStateDict(seed: seed &+ 7)
        for n in cdict.names { clip[n] = cdict.tensors[n]! }
        try Safetensors.write(clip, metadata: ["format": "OpenAI CLIP state dict (demo, seeded random weights)"], to: path("clip.safetensors"))
        try ByteLevelVocabulary.write(to: path("bpe_bytes.txt.gz"))
        try writeNadaGenerator(full, clip: cdict, vocabulary: dir + "/bpe_bytes.txt.gz", to: path(nadaGenerator))
        var arc: [String: Tensor] = [:]
        let adict = arcfaceConfig.randomStateDict(seed: seed &+ 11)
        for n in adict.names { arc[n] = adict.tensors[n]! }
        try Safetensors.write(arc, metadata: ["format": "IR-SE backbone (demo, seeded random weights)"], to: path("arcface.safetensors"))

        var sampler = try CodeSampler(generator: generator, seed: 5, psi: 0.7, center: .latentAvg)
        let w = generator.broadcast(sampler.codes(0..<count))
        try HDF5File.write(path: path("latents.h5"), datasets: [("latents", w.shape, w.scalars)], chunkRows: 16)
        return written
    }

    /// The demo StyleGAN-NADA generator's file and what made it.
    public static let nadaGenerator = "generator_nada.pt"
    public static let nadaIterations = 3

    /// A few `train-nada` iterations on the demo models ("face" -> "green lipstick", every
    /// layer selectable, the demo CLIP once), written as the torch checkpoint train-nada writes.
    static func writeNadaGenerator(_ generator: StateDict, clip: StateDict, vocabulary: String, to path: String) throws {
        let model = try CLIPModel.load(from: clip, source: "demo clip", visionHeads: 2, textHeads: 2)
        let loss = try NadaCLIPLoss(model: model, weight: 1, tokenizer: CLIPTokenizer(vocabularyPath: vocabulary),
                                    source: "face", target: "green lipstick")
        var s = NadaSettings()
        s.sourceClass = "face"; s.targetClass = "green lipstick"
        s.iterations = nadaIterations; s.autoLayerK = generatorConfig.nLatent; s.autoLayerBatch = 4
        var trainer = try NadaTrainer(settings: s, generator: TrainableGenerator(generator, source: "demo generator"), losses: [loss])
        for i in 0..<nadaIterations {
            _ = try trainer.step(NadaDraws.sample(iteration: i, seed: s.seed, settings: s, config: generatorConfig))
        }
        try trainer.trainable.write(to: path)
    }

    /// The generator's weights, with the mapping network scaled as the reference initialises
    /// it (N(0,1) / lr_mul), so different z give visibly different codes.
    static func generatorStateDict(seed: UInt64) -> StateDict {
        let base = generatorConfig.randomStateDict(seed: seed)
        var out = StateDict(source: "demo generator")
        for name in base.names {
            var t = base.tensors[name]!
            if name.hasPrefix("style.") && name.hasSuffix(".weight") {
                t.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] /= generatorConfig.lrMLP } }
            }
            out.insert(name, StoredTensor(t))
        }
        return out
    }

    /// A StyleCLIP levels mapper's `mapper.*` tensors: the CF-CLIP mapper's without the fusion
    /// layer and the text mapper.
    public static func styleclipMapperTensors(dim d: Int, seed: UInt64) -> [String: Tensor] {
        cfclipMapperTensors(dim: d, nLatent: 0, seed: seed).filter { !$0.key.hasPrefix("mapper.fc.") }
    }

    /// A CF-CLIP mapper's `mapper.*` and `text_mapper.*` tensors (flat keys, as the project's
    /// safetensors store them): EqualLinear weights N(0,1) / lr_mul, zero biases.
    public static func cfclipMapperTensors(dim d: Int, nLatent: Int, seed: UInt64) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var counter: UInt64 = 0
        func linear(_ prefix: String, in i: Int) {
            counter += 1
            let g = SeededNoise.gaussian(count: d * i, seed: seed &* 1_000_003 &+ counter)
            out[prefix + ".weight"] = Tensor(shape: [d, i], values: g.map { $0 / 0.01 })
            out[prefix + ".bias"] = Tensor(zeros: [d])
        }
        linear("mapper.fc", in: 2 * d)
        for group in ["course_mapping", "medium_mapping", "fine_mapping"] {
            for l in 1...4 { linear("mapper.\(group).mapping.\(l)", in: d) }
        }
        for c in 0..<nLatent { for l in 1...4 { linear("text_mapper.mapper_\(c).mapping.\(l)", in: d) } }
        return out
    }
}
