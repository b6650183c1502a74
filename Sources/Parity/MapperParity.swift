import Checkpoints
import Foundation
import Models
import Tensors

/// `fixtures/mapper` (StyleCLIP LevelsMapper) and `fixtures/cfclip_mapper` (CF-CLIP: text
/// embedding mapper, fusion, levels, edit and render), from every checkpoint file.
enum MapperParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        f.judge(perCheckpoint: f.checkpointFiles) { path in
            let m = try MapperCheckpoint.load(path: path)
            return try compute(f, m)
        }
    }

    static func compute(_ f: FixtureFolder, _ m: MapperCheckpoint) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        let w = try f.input("in.w")
        switch m.kind {
        case .styleclip:
            let delta = m.mapper(Var(w)) { name, t in out[name] = t }.value
            out["delta"] = delta
            out["w_hat"] = try m.edit(w)
        case .cfclip:
            let tokens = try f.input("in.text_tokens")
            let clip = try siblingCLIP(f)
            let ids = (0..<tokens.shape[1]).map { Int32(tokens[flat: $0]) }
            let tFeat = try clip.encodeText([ids])
            out["fwd.t_feat"] = tFeat
            let e = tFeat.reshaped([tFeat.count])
            if let tm = m.textMapper { out["fwd.t_w"] = tm(Var(e), batch: w.shape[0], rows: w.shape[1]).value }
            out["fwd.delta"] = try m.delta(w, textEmbedding: e)
            let wHat = try m.edit(w, textEmbedding: e)
            out["fwd.w_hat"] = wHat
            if let g = m.decoder { out["fwd.x_hat"] = try g.synthesize(wHat) }
        }
        return out
    }

    /// The CLIP text encoder the fixture used: a `clip*` checkpoint in the folder, else the
    /// sibling `../clip` fixture (head counts from its config.json).
    static func siblingCLIP(_ f: FixtureFolder) throws -> CLIPModel {
        let fm = FileManager.default
        let local = ((try? fm.contentsOfDirectory(atPath: f.url.path)) ?? []).filter { $0.hasPrefix("clip") && ($0.hasSuffix(".pt") || $0.hasSuffix(".safetensors")) }.sorted()
        let dir = local.isEmpty ? f.url.appendingPathComponent("../clip").standardizedFileURL : f.url
        let file = local.first.map { dir.appendingPathComponent($0).path } ?? dir.appendingPathComponent("checkpoint.safetensors").path
        guard fm.fileExists(atPath: file) else { throw ParityError.folder(file, "is missing (the CLIP text encoder for fwd.t_feat)") }
        let cfg = (try? FixtureFolder.readJSON(dir.appendingPathComponent("config.json"), optional: true)) ?? nil
        return try CLIPModel.load(from: StateDict.load(file), source: file,
                                  visionHeads: cfg?["vision_heads"] as? Int, textHeads: cfg?["transformer_heads"] as? Int)
    }
}
