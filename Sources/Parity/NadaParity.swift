import Checkpoints
import Editing
import Foundation
import Models
import Tensors

/// `fixtures/nada`: StyleGAN-NADA's training iterations. So far each CLIP model's text
/// direction (`<scenario>.text_direction.<model>`): n(mean over the 79 templates of
/// n(E_T(target)) - n(E_T(source))), with ViT-B/32 (`clip/`) and ViT-B/16 (`nada/clip_b16.pt`).
/// The iterations themselves (layer selection, losses, gradients, Adam) are not computed yet,
/// so those outputs fail as "not computed" (issue 17).
enum NadaParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        do { return f.judge(try compute(f), source: "-") } catch {
            return f.outputs.map { .failed($0.name, source: "-", tolerance: $0.tolerance, note: "\(error)") }
        }
    }

    /// "ViT-B/16" -> "vitb16", as the output names spell the models.
    static func shortName(_ model: String) -> String { model.lowercased().filter { $0.isLetter || $0.isNumber } }

    static func compute(_ f: FixtureFolder) throws -> [String: Tensor] {
        let args = f.config["args"] as? [String: Any] ?? [:]
        let models = f.config["clip_models"] as? [String: String] ?? [:]
        guard let source = args["source_class"] as? String, let target = args["target_class"] as? String, !models.isEmpty else {
            throw ParityError.folder(f.file("config.json"), "needs args.source_class, args.target_class and clip_models")
        }
        let tokenizer = try CLIPTokenizer(vocabularyPath: TokenizerParity.vocabularyPath(for: f))
        let scenarios = (f.config["scenarios"] as? [String: Any])?.keys.sorted() ?? []
        var out: [String: Tensor] = [:]
        for (name, text) in models {
            guard let rel = text.split(separator: " ").first else { continue }
            let url = f.url.deletingLastPathComponent().appendingPathComponent(String(rel)).standardizedFileURL
            // heads: the model's own folder config (clip/), or this folder's entry for it (clip_b16)
            let own = url.deletingLastPathComponent().appendingPathComponent("config.json")
            let entry = rel.hasPrefix(f.url.lastPathComponent + "/")
                ? f.config[url.deletingPathExtension().lastPathComponent] as? [String: Any]
                : (try? FixtureFolder.readJSON(own, optional: true)) ?? nil
            let clip = try CLIPModel.load(from: StateDict.load(url.path), source: url.path,
                                          visionHeads: entry?["vision_heads"] as? Int, textHeads: entry?["transformer_heads"] as? Int)
            func features(_ cls: String) throws -> Tensor {
                let prompts = TextTemplates.imagenet.map { $0.replacingOccurrences(of: "{}", with: cls) }
                let ids = try tokenizer.tokenize(prompts, contextLength: clip.contextLength)
                let rows = stride(from: 0, to: ids.count, by: clip.contextLength).map { Array(ids[$0..<($0 + clip.contextLength)]) }
                return l2Normalized(try clip.encodeText(rows))
            }
            let direction = l2Normalized((try features(target) - features(source)).meanRows())
            for s in scenarios { out["\(s).text_direction.\(shortName(name))"] = direction.reshaped([1, direction.count]) }
        }
        return out
    }
}
