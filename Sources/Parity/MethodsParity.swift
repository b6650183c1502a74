import Checkpoints
import Editing
import Foundation
import Models
import Tensors
import Training

/// `fixtures/methods`: the two latent-optimisation baselines, every Adam step. For each method
/// in config.json (`styleclip`, `tedigan`) the reference's arguments become
/// `OptimizationSettings`, the run starts where the reference did (`in.latent`, or
/// `in.mean_latent` for TediGAN) and every recorded step's gradient, lr, latent and loss terms,
/// plus the returned images, are recomputed. Models come from the sibling folders named in
/// `uses`; the description is tokenised with the real BPE vocabulary.
enum MethodsParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        do { return f.judge(try compute(f), source: "-") } catch {
            return f.outputs.map { .failed($0.name, source: "-", tolerance: $0.tolerance, note: "\(error)") }
        }
    }

    /// The fixture name of each loss term the references log.
    static let termNames = ["clip": "loss_clip", "identity": "loss_id", "pixel_mse": "loss_pix", "perceptual": "loss_feat",
                            "latent_mse": "loss_reg", "latent_l2_sum": "loss_l2"]

    /// The file in `uses` (a list of "folder/file (what for)") whose path starts with `folder/`.
    static func used(_ f: FixtureFolder, _ folder: String) throws -> (path: String, config: [String: Any]?) {
        let uses = (f.config["uses"] as? [String]) ?? []
        guard let text = uses.first(where: { $0.hasPrefix(folder + "/") }), let rel = text.split(separator: " ").first else {
            throw ParityError.folder(f.file("config.json"), "lists no \(folder)/ file in 'uses'")
        }
        let url = f.url.deletingLastPathComponent().appendingPathComponent(String(rel)).standardizedFileURL
        let cfg = (try? FixtureFolder.readJSON(url.deletingLastPathComponent().appendingPathComponent("config.json"), optional: true)) ?? nil
        return (url.path, cfg)
    }

    static func compute(_ f: FixtureFolder) throws -> [String: Tensor] {
        let genPath = try used(f, "stylegan2").path
        let g = try Generator.load(path: genPath)
        let (clipPath, clipCfg) = try used(f, "clip")
        let clip = try CLIPModel.load(from: StateDict.load(clipPath), source: clipPath,
                                      visionHeads: clipCfg?["vision_heads"] as? Int, textHeads: clipCfg?["transformer_heads"] as? Int)
        let tokenizer = try CLIPTokenizer(vocabularyPath: TokenizerParity.vocabularyPath(for: f))
        let latent = try f.input("in.latent")
        var out: [String: Tensor] = [:]
        for method in OptimizationSettings.Preset.allCases.map(\.rawValue) {
            guard let part = f.config[method] as? [String: Any], let args = part["args"] as? [String: Any] else { continue }
            let settings = try Self.settings(method, args, file: f.file("config.json"))
            let description = args["description"] as? String ?? ""
            let text = try clip.encodeText([try tokenizer.tokenize(description, contextLength: clip.contextLength)])
            var models = OptimizationModels(generator: g, clip: clip, textFeatures: text)
            if settings.weights.identity != 0 {
                let arc = try used(f, "arcface")
                models.idLoss = IDLoss(facenet: try ArcFaceParity.load(arc.path, config: arc.config))
            }
            if settings.weights.perceptual != 0 {
                let p = try used(f, "methods").path
                models.vgg = try VGG.load(from: StateDict.load(p), source: p)
            }
            var start: Tensor? = nil
            if settings.start != .source {
                let mean = try f.input("in.mean_latent")
                start = g.broadcast(mean.reshaped([1, mean.count]))
            }
            let r = try LatentOptimizer(settings: settings, models: models).run(source: latent, start: start) { s in
                let p = "\(method).step\(s.index)."
                out[p + "grad"] = s.gradient
                out[p + "latent"] = s.latent
                out[p + "lr"] = Tensor(shape: [], values: [Float(s.lr)])
                out[p + "loss"] = Tensor(shape: [], values: [s.loss])
                for (name, v) in s.terms { out[p + (termNames[name] ?? name)] = Tensor(shape: [], values: [v]) }
            }
            let (src, last) = method == "styleclip" ? ("img_orig", "img_last") : ("x", "x_rec_last")
            out["\(method).\(src)"] = r.sourceImage
            out["\(method).\(last)"] = r.image
        }
        return out
    }

    /// The reference's argparse values as settings (absent ones keep the preset's default).
    static func settings(_ method: String, _ a: [String: Any], file: String) throws -> OptimizationSettings {
        guard let preset = OptimizationSettings.Preset(rawValue: method) else { throw ParityError.folder(file, "unknown method \(method)") }
        var s = OptimizationSettings(preset: preset)
        func num(_ k: String) -> Double? { (a[k] as? Double) ?? (a[k] as? Int).map(Double.init) }
        if let v = num("step") { s.steps = Int(v) }
        if let v = num("lr") { s.lr = v }
        if let v = num("lr_rampup") { s.rampUp = v }
        switch preset {
        case .styleclip:
            if let v = num("l2_lambda") { s.weights.latentL2Sum = Float(v) }
            if let v = num("id_lambda") { s.weights.identity = Float(v) }
            if (a["mode"] as? String).map({ $0 != "edit" }) ?? false { throw ParityError.folder(file, "styleclip mode other than edit") }
        case .tedigan:
            if let v = num("loss_pix_weight") { s.weights.pixelMSE = Float(v) }
            if let v = num("loss_reg_weight") { s.weights.latentMSE = Float(v) }
            if let v = num("loss_feat_weight") { s.weights.perceptual = Float(v) }
            if let v = num("loss_clip_weight") { s.weights.clip = Float(v) }
        }
        return s
    }
}
