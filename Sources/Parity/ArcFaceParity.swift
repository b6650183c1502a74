import Editing
import Checkpoints
import Foundation
import Models
import Tensors

/// `fixtures/arcface`: the IDLoss preprocessing (`idloss.<tag>.pre112` of input `in.<tag>` or
/// `in.x<tag>`), identity features (`idloss.<tag>.feats`), the IDLoss value of `in.<y>_hat`
/// against `in.<y>`, and the backbone's raw / normalised embedding and hooked activations
/// (`act.<module>`) on the 112x112 tensor the entry names, from every checkpoint file.
enum ArcFaceParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        f.judge(perCheckpoint: f.checkpointFiles) { path in
            try compute(f, IDLoss(facenet: load(path, config: f.config)))
        }
    }

    /// Loads a backbone; the folder's config.json `stages` pins the stride-2 units where the
    /// weights cannot (a stage that keeps its width has no shortcut conv to show where it starts).
    static func load(_ path: String, config: [String: Any]?) throws -> Backbone {
        let stages = (config?["stages"] as? [[String: Any]])?.compactMap { s -> (units: Int, stride: Int)? in
            guard let n = s["num_units"] as? Int else { return nil }
            return (n, s["first_stride"] as? Int ?? 2)
        }
        return try Backbone.load(from: StateDict.load(path), source: path, stages: stages,
                                 inputSize: config?["input_size"] as? Int ?? 112)
    }

    static func compute(_ f: FixtureFolder, _ loss: IDLoss) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var raw: [String: Tensor] = [:], unit: [String: Tensor] = [:]
        for e in f.outputs {
            let parts = e.name.split(separator: ".").map(String.init)
            if parts.count == 3, parts[0] == "idloss" {
                let x = try image(tag: parts[1], f)
                if parts[2].hasPrefix("pre") { out[e.name] = try loss.preprocess(x) }
                if parts[2] == "feats" { out[e.name] = try loss.features(x) }
            } else if e.name == "idloss.value" {
                guard let hat = f.entries.first(where: { $0.isInput && $0.name.hasSuffix("_hat") }) else {
                    throw ParityError.missingInput(f.url.path, "in.<y>_hat")
                }
                let yHat = try f.input(hat.name), y = try f.input(String(hat.name.dropLast("_hat".count)))
                out[e.name] = Tensor(shape: [], values: [try loss(yHat, y)])
            } else if e.name == "embedding_raw" || e.name == "embedding" || e.name.hasPrefix("act.") {
                let source = try faces(for: e, f, loss)
                if raw[source.name] == nil {
                    raw[source.name] = try loss.facenet.embeddingRaw(source.tensor) { name, t in unit["\(source.name)/\(name)"] = t }
                }
                let r = raw[source.name]!
                if e.name == "embedding_raw" { out[e.name] = r }
                if e.name == "embedding" { out[e.name] = L2Normalize.forward(r, floor: 0) }
                if e.name.hasPrefix("act.") { out[e.name] = unit["\(source.name)/\(e.name.dropFirst(4))"] }
            }
        }
        return out
    }

    /// `in.<tag>`, else `in.x<tag>` (`idloss.gen.*` is computed from `in.xgen`).
    static func image(tag: String, _ f: FixtureFolder) throws -> Tensor {
        if let t = f.inputIfPresent("in.\(tag)") { return t }
        return try f.input("in.x\(tag)")
    }

    /// The backbone input of an entry: the stored face tensor [N, 3, S, S] its description names
    /// (e.g. "input = ... idloss.gen.pre112"), as the reference fed it.
    static func faces(for e: FixtureFolder.Entry, _ f: FixtureFolder, _ loss: IDLoss) throws -> (name: String, tensor: Tensor) {
        let s = loss.facenet.config.inputSize
        let text = e.computed + " " + e.meaning
        let named = f.cases.names.filter { n in
            n != e.name && text.contains(n) && f.cases.tensors[n].map { $0.rank == 4 && Array($0.shape[1...]) == [3, s, s] } == true
        }
        guard let name = named.max(by: { $0.count < $1.count }) else {
            throw ParityError.missingInput(f.url.path, "the \(s)x\(s) faces that '\(e.name)' is computed from")
        }
        return (name, f.cases.tensors[name]!)
    }
}
