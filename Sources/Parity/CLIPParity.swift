import Checkpoints
import Foundation
import Models
import Tensors

/// `fixtures/clip`: image and text towers, normalised features, logits and hooked activations
/// from every checkpoint file (plain, TorchScript, safetensors), plus exact token ids for the
/// folder's prompts and every prompt of its tokens.json.
enum CLIPParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        let visionHeads = f.config["vision_heads"] as? Int, textHeads = f.config["transformer_heads"] as? Int
        var results = f.judge(perCheckpoint: f.checkpointFiles) { path in
            let dict = try StateDict.load(path)
            let m = try CLIPModel.load(from: dict, source: path, visionHeads: visionHeads, textHeads: textHeads)
            return try compute(f, m)
        }
        results += TokenizerParity.run(f)
        return results
    }

    static func compute(_ f: FixtureFolder, _ m: CLIPModel) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        let wanted = Set(f.outputs.map(\.name))
        func keep(_ name: String, _ t: Tensor) {
            let key = "act." + name
            guard wanted.contains(key), let shape = f.outputs.first(where: { $0.name == key })?.shape else { return }
            // the reference keeps transformer activations sequence-first [L, N, w]
            out[key] = shape == t.shape ? t : swapLeadingAxes(t)
        }
        if let images = f.inputIfPresent("in.images") {
            out["image_features"] = m.encodeImage(images, hook: keep)
        }
        if let tokens = f.inputIfPresent("in.tokens") {
            let ctx = tokens.shape[1], v = tokens.scalars
            let rows = (0..<tokens.shape[0]).map { r in (0..<ctx).map { Int32(v[r * ctx + $0]) } }
            out["text_features"] = try m.encodeText(rows, hook: keep)
        }
        if let i = out["image_features"] { out["image_features_normalized"] = l2Normalized(i) }
        if let t = out["text_features"] { out["text_features_normalized"] = l2Normalized(t) }
        if let i = out["image_features"], let t = out["text_features"] {
            let logits = m.logitsPerImage(imageFeatures: i, textFeatures: t)
            out["logits_per_image"] = logits
            out["logits_per_text"] = swapLeadingAxes(logits)
        }
        return out
    }

    /// [A, B, ...] -> [B, A, ...]
    static func swapLeadingAxes(_ t: Tensor) -> Tensor {
        let (a, b) = (t.shape[0], t.shape[1]), inner = t.count / max(a * b, 1)
        let v = t.scalars
        var shape = t.shape
        shape.swapAt(0, 1)
        return Tensor(shape: shape) { out in
            for i in 0..<a { for j in 0..<b { for k in 0..<inner { out[(j * a + i) * inner + k] = v[(i * b + j) * inner + k] } } }
        }
    }
}
