import Checkpoints
import Editing
import Foundation
import Models
import Tensors
import Training

/// `fixtures/nada`: StyleGAN-NADA's training iterations, per scenario of config.json (its
/// options over `args`): the layers each selection chose, each iteration's loss and images,
/// iteration 0's gradient of every trained parameter, the parameters after the last Adam step
/// and each CLIP model's text direction. Every random draw is replayed from the inputs.
enum NadaParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        do { return f.judge(try compute(f), source: "-") } catch {
            return f.outputs.map { .failed($0.name, source: "-", tolerance: $0.tolerance, note: "\(error)") }
        }
    }

    /// "ViT-B/16" -> "vitb16", as the output names spell the models.
    static func shortName(_ model: String) -> String { model.lowercased().filter { $0.isLetter || $0.isNumber } }

    /// A path named by config.json ("stylegan2/checkpoint.pt (what it is)"), relative to the
    /// fixtures root.
    static func path(_ f: FixtureFolder, _ text: String) -> URL {
        let rel = String(text.split(separator: " ").first ?? "")
        return f.url.deletingLastPathComponent().appendingPathComponent(rel).standardizedFileURL
    }

    /// A CLIP model named by `clip_models`; its heads come from its own folder's config.json
    /// (clip/) or from this folder's entry named after the file (clip_b16).
    static func clip(_ f: FixtureFolder, _ text: String) throws -> CLIPModel {
        let url = path(f, text)
        let ownFolder = url.deletingLastPathComponent().standardizedFileURL.path == f.url.standardizedFileURL.path
        let entry = ownFolder
            ? f.config[url.deletingPathExtension().lastPathComponent] as? [String: Any]
            : (try? FixtureFolder.readJSON(url.deletingLastPathComponent().appendingPathComponent("config.json"), optional: true)) ?? nil
        return try CLIPModel.load(from: StateDict.load(url.path), source: url.path,
                                  visionHeads: entry?["vision_heads"] as? Int, textHeads: entry?["transformer_heads"] as? Int)
    }

    static func compute(_ f: FixtureFolder) throws -> [String: Tensor] {
        let args = f.config["args"] as? [String: Any] ?? [:]
        let models = f.config["clip_models"] as? [String: String] ?? [:]
        guard let source = args["source_class"] as? String, let target = args["target_class"] as? String, !models.isEmpty,
              let generator = f.config["generator"] as? String else {
            throw ParityError.folder(f.file("config.json"), "needs args.source_class, args.target_class, generator and clip_models")
        }
        let order = args["clip_models"] as? [String] ?? models.keys.sorted()
        let weights = args["clip_model_weights"] as? [Double] ?? order.map { _ in 1 }
        let tokenizer = try CLIPTokenizer(vocabularyPath: TokenizerParity.vocabularyPath(for: f))
        var losses: [NadaCLIPLoss] = []
        for (name, weight) in zip(order, weights) {
            guard let text = models[name] else { throw ParityError.folder(f.file("config.json"), "clip_models has no file for '\(name)'") }
            losses.append(try NadaCLIPLoss(model: clip(f, text), weight: Float(weight), tokenizer: tokenizer, source: source, target: target))
        }
        let genURL = path(f, generator)
        let twin = try TrainableGenerator(StateDict.load(genURL.path), source: genURL.path)
        let scenarios = f.config["scenarios"] as? [String: [String: Any]] ?? [:]
        let iterations = f.config["iterations"] as? Int ?? 2
        var out: [String: Tensor] = [:]
        for (s, options) in scenarios.sorted(by: { $0.key < $1.key }) {
            for (name, l) in zip(order, losses) { out["\(s).text_direction.\(shortName(name))"] = l.direction }
            var settings = NadaSettings()
            settings.sourceClass = source; settings.targetClass = target
            settings.batch = args["batch"] as? Int ?? settings.batch
            settings.lr = args["lr"] as? Double ?? settings.lr
            settings.gRegEvery = args["g_reg_every"] as? Int ?? settings.gRegEvery
            settings.mixing = args["mixing"] as? Double ?? 0
            settings.autoLayerBatch = args["auto_layer_batch"] as? Int ?? settings.autoLayerBatch
            settings.selectionChunk = settings.autoLayerBatch
            settings.autoLayerIters = options["auto_layer_iters"] as? Int ?? 0
            settings.autoLayerK = options["auto_layer_k"] as? Int
            if let p = args["phase"] as? String { settings.phase = NadaPhase(rawValue: p) }
            // recorded by the reference run on the CPU (config.json notes), unless the folder says otherwise
            settings.selectionBaseline = (f.config["selection_baseline"] as? String).flatMap(SelectionBaseline.init) ?? .shared
            var trainer = try NadaTrainer(settings: settings, generator: twin, losses: losses)
            let c = twin.generator.config
            for i in 0..<iterations {
                let key = "in.\(s).iter\(i)"
                func noise(_ what: String) throws -> [Tensor] { try (0..<c.numLayers).map { try f.input("\(key).\(what).\($0)") } }
                let draws = NadaDraws(z: [try f.input("\(key).z")],
                                      autoZ: f.inputIfPresent("\(key).auto_z"),
                                      autoNoise: settings.autoLayerIters > 0 ? [try noise("auto_noise")] : [],
                                      frozenNoise: try noise("frozen_noise"), trainableNoise: try noise("trainable_noise"))
                let r = try trainer.step(draws)
                if let chosen = r.chosen { out["\(s).iter\(i).chosen_layers"] = Tensor(shape: [chosen.count], values: chosen.map(Float.init)) }
                out["\(s).iter\(i).loss"] = Tensor(shape: [], values: [r.loss])
                out["\(s).iter\(i).frozen_img"] = r.frozenImage
                out["\(s).iter\(i).trainable_img"] = r.trainableImage
                if i == 0 { for (n, g) in r.gradients { out["\(s).iter0.grad.\(n)"] = g } }
            }
            for n in trainer.trainable.state.names { out["\(s).after\(iterations).\(n)"] = trainer.trainable.value(n) }
        }
        return out
    }
}
