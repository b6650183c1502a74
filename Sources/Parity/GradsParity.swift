import Checkpoints
import Editing
import Foundation
import Models
import Tensors
import Training

/// `fixtures/grads`: one CF-CLIP training step. The losses, their parts and the CLIP-NCE
/// intermediates are recomputed from the sibling fixtures named in config.json `uses`, and the
/// gradients of every mapper parameter (`grad.<key>`, `<variant>.grad.<key>`) and of the
/// intermediate tensors (`grad_input.*`) come from the reverse-mode tape.
enum GradsParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        do { return f.judge(try compute(f), source: "-") } catch {
            return f.outputs.map { .failed($0.name, source: "-", tolerance: $0.tolerance, note: "\(error)") }
        }
    }

    /// A checkpoint named in config.json `uses` ("stylegan2/checkpoint.pt (loaded into decoder)"),
    /// relative to the fixtures root (the folder's parent).
    static func used(_ f: FixtureFolder, _ key: String) throws -> (path: String, config: [String: Any]?) {
        guard let uses = f.config["uses"] as? [String: String], let text = uses[key],
              let rel = text.split(separator: " ").first else {
            throw ParityError.folder(f.file("config.json"), "has no uses.\(key)")
        }
        let url = f.url.deletingLastPathComponent().appendingPathComponent(String(rel)).standardizedFileURL
        let cfg = (try? FixtureFolder.readJSON(url.deletingLastPathComponent().appendingPathComponent("config.json"), optional: true)) ?? nil
        return (url.path, cfg)
    }

    static func tokens(_ t: Tensor) -> [[Int32]] {
        let (n, c) = (t.shape[0], t.shape[1]), v = t.scalars
        return (0..<n).map { r in (0..<c).map { Int32(v[r * c + $0]) } }
    }

    static func compute(_ f: FixtureFolder) throws -> [String: Tensor] {
        let (clipPath, clipCfg) = try used(f, "clip")
        let clip = try CLIPModel.load(from: StateDict.load(clipPath), source: clipPath,
                                      visionHeads: clipCfg?["vision_heads"] as? Int, textHeads: clipCfg?["transformer_heads"] as? Int)
        let mapper = try MapperCheckpoint.load(path: try used(f, "mapper").path)
        let genPath = try used(f, "generator").path
        let g = try Generator.load(path: genPath)

        let w = try f.input("in.w")
        let tFeat = try clip.encodeText(tokens(try f.input("in.text_tokens")))
        let wHat = try mapper.edit(w, textEmbedding: tFeat.reshaped([tFeat.count]))
        let x = try g.synthesize(w), xHat = try g.synthesize(wHat)
        let encoder = CLIPImageEncoder(model: clip)
        let srcText = l2Normalized(try clip.encodeText(tokens(try f.input("in.source_template_tokens"))))
        let tgtText = l2Normalized(try clip.encodeText(tokens(try f.input("in.target_template_tokens"))))
        let src = encoder.features(x), tgt = encoder.features(xHat)
        let l2 = MeanError.squared(wHat, w)
        let nce = CLIPNCELoss()(sourceImage: src, editedImage: tgt, sourceText: srcText, targetText: tgtText)
        func scalar(_ v: Float) -> Tensor { Tensor(shape: [], values: [v]) }

        var out: [String: Tensor] = [
            "loss": scalar(0.8 * l2 + 0.3 * nce.loss),
            "part.loss_l2_latent": scalar(l2), "part.loss_nce": scalar(nce.loss),
            "nce.source_text_features": srcText, "nce.target_text_mean": nce.targetTextMean,
            "nce.src_image_features": src, "nce.target_image_features": tgt,
            "nce.query": nce.query, "nce.pos_text_direction": nce.posTextDirection,
            "nce.pos_image_to_text": nce.posImageToText, "nce.neg": nce.negatives,
            "nce.logits": nce.logits, "nce.ce_per_row": nce.crossEntropy,
            "nce.L_T": scalar(nce.lossText), "nce.L_I": scalar(nce.lossImage),
        ]
        if let e = f.outputs.first(where: { $0.name == "nce.image_input_x" }) {
            let full = CLIPPreprocess.fromGenerator(x, resolution: clip.visual.inputResolution)
            out[e.name] = subsample(full, to: e.shape)
        }
        // two recorded perspective warps instead of the random ones: x_aug = cat_k warp_k(x_hat)
        if let pts = f.inputIfPresent("in.persp_points") {
            let k = pts.shape[0], v = pts.scalars
            var views: [Tensor] = []
            for a in 0..<k {
                let corner = { (s: Int, c: Int) in (x: Double(v[((a * 2 + s) * 4 + c) * 2]), y: Double(v[((a * 2 + s) * 4 + c) * 2 + 1])) }
                let start = (0..<4).map { corner(0, $0) }, end = (0..<4).map { corner(1, $0) }
                views.append(Perspective.warp(xHat, coefficients: Perspective.samplingCoefficients(startpoints: start, endpoints: end), fill: [0]))
            }
            let srcRep = encoder.features(Tensor.concatenate(Array(repeating: x, count: k)))
            let aug = encoder.features(Tensor.concatenate(views))
            let p = CLIPNCELoss()(sourceImage: srcRep, editedImage: aug, sourceText: srcText, targetText: tgtText)
            out["nce_l2_persp.loss"] = scalar(0.8 * l2 + 0.3 * p.loss)
            out["nce_l2_persp.part.loss_l2_latent"] = scalar(l2)
            out["nce_l2_persp.part.loss_nce"] = scalar(p.loss)
        }
        out["directional.loss"] = scalar(DirectionalCLIPLoss()(sourceImage: src, editedImage: tgt, sourceText: srcText, targetText: tgtText))
        let global = clip.encodeImage(CLIPPreprocess.styleCLIP(xHat, resolution: clip.visual.inputResolution))
        out["global.loss"] = scalar(GlobalCLIPLoss()(imageFeatures: global, textFeatures: tFeat, logitScale: clip.logitScale))
        try gradients(f, out: &out, clip: clip, mapper: mapper, g: g, w: w, tFeat: tFeat, x: x,
                      srcText: srcText, tgtText: tgtText, src: src)
        if f.outputs.contains(where: { $0.name.hasPrefix("full.") }) {
            let arc = try used(f, "arcface"), vggPath = try used(f, "vgg").path
            let id = try IDLoss(facenet: ArcFaceParity.load(arc.path, config: arc.config))(xHat, x)
            let perc = try PerceptualLoss(vgg: VGG.load(from: StateDict.load(vggPath), source: vggPath)).featureMatching(xHat, x)
            out["full.loss"] = scalar(0.2 * id + 0.02 * perc + 0.8 * l2 + 0.3 * nce.loss)
            out["full.part.loss_id"] = scalar(id)
            out["full.part.loss_perc"] = scalar(perc)
            out["full.part.loss_l2_latent"] = scalar(l2)
            out["full.part.loss_nce"] = scalar(nce.loss)
        }
        return out
    }

    /// One taped training step per variant (the trainer's own `TrainingStep`): loss -> images
    /// -> generator -> mapper parameters.
    static func gradients(_ f: FixtureFolder, out: inout [String: Tensor], clip: CLIPModel, mapper: MapperCheckpoint,
                          g: Generator, w: Tensor, tFeat: Tensor, x: Tensor, srcText: Tensor, tgtText: Tensor, src: Tensor) throws {
        var models = TrainingModels(generator: g, clip: clip, textEmbedding: tFeat.reshaped([tFeat.count]),
                                    sourceText: srcText, targetText: tgtText)
        func step(_ prefix: String, _ kind: CLIPLossKind, _ weights: LossWeights, warps: [[Float]] = []) throws {
            let r = try TrainingStep(kind: kind, weights: weights).run(mapper: mapper, w: w, models: models, warps: warps)
            for (name, grad) in r.gradients { out[prefix + "grad." + name] = grad }
            if prefix.isEmpty {
                out["grad_input.x_hat"] = r.gradXHat; out["grad_input.w_hat"] = r.gradWHat; out["grad_input.t_w"] = r.gradTW
            }
        }
        try step("", .nce, LossWeights(id: 0, perceptual: 0, latentL2: 0.8, clip: 0.3))
        if let pts = f.inputIfPresent("in.persp_points") {
            let v = pts.scalars
            let warps = (0..<pts.shape[0]).map { a -> [Float] in
                let corner = { (s: Int, c: Int) in (x: Double(v[((a * 2 + s) * 4 + c) * 2]), y: Double(v[((a * 2 + s) * 4 + c) * 2 + 1])) }
                return Perspective.samplingCoefficients(startpoints: (0..<4).map { corner(0, $0) }, endpoints: (0..<4).map { corner(1, $0) })
            }
            try step("nce_l2_persp.", .nce, LossWeights(id: 0, perceptual: 0, latentL2: 0.8, clip: 0.3), warps: warps)
        }
        try step("directional.", .directional, LossWeights(id: 0, perceptual: 0, latentL2: 0, clip: 1))
        try step("global.", .global, LossWeights(id: 0, perceptual: 0, latentL2: 0, clip: 1))
        if f.outputs.contains(where: { $0.name.hasPrefix("full.grad.") }) {
            let arc = try used(f, "arcface"), vggPath = try used(f, "vgg").path
            models.idLoss = IDLoss(facenet: try ArcFaceParity.load(arc.path, config: arc.config))
            models.perceptual = PerceptualLoss(vgg: try VGG.load(from: StateDict.load(vggPath), source: vggPath))
            try step("full.", .nce, LossWeights(id: 0.2, perceptual: 0.02, latentL2: 0.8, clip: 0.3))
        }
    }

    /// x[:, :, ::s, ::s] with the stride that gives `shape`.
    static func subsample(_ x: Tensor, to shape: [Int]) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let sy = max(1, h / shape[2]), sx = max(1, w / shape[3])
        let v = x.scalars
        return Tensor(shape: shape) { out in
            for b in 0..<min(n, shape[0]) { for ch in 0..<min(c, shape[1]) { for y in 0..<shape[2] { for xx in 0..<shape[3] {
                out[((b * shape[1] + ch) * shape[2] + y) * shape[3] + xx] = v[((b * c + ch) * h + y * sy) * w + xx * sx]
            } } } }
        }
    }
}
