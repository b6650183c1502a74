import Checkpoints

extension Generator {
    /// Where a rosinality generator sits in the files people bring: `g_ema.` (training
    /// checkpoints, beside `g.` and `d.`), `state_dict.decoder.` (StyleCLIP mappers),
    /// `decoder.` (CF-CLIP mappers), or bare keys (an extracted state dict). First match wins.
    public static let knownPrefixes = ["g_ema.", "state_dict.decoder.", "decoder.", ""]

    /// The prefix under which `dict` holds a generator (its `style.1.weight`), or an error
    /// listing the prefixes tried and the file's top-level keys.
    public static func prefix(in dict: StateDict, source: String) throws -> String {
        if let p = knownPrefixes.first(where: { dict.tensors["\($0)style.1.weight"] != nil }) { return p }
        var top: [String] = []
        for name in dict.names.sorted() {
            let head = String(name.prefix { $0 != "." })
            if top.last != head { top.append(head) }
        }
        let shown = top.prefix(12).joined(separator: ", ") + (top.count > 12 ? ", ... (\(top.count) in all)" : "")
        throw CheckpointError.mismatch(source: source, problems: [
            "no StyleGAN2 generator: tried prefixes \(knownPrefixes.map { "'\($0)'" }.joined(separator: ", ")) "
                + "(each needs PREFIXstyle.1.weight); the file's top-level keys: \(shown.isEmpty ? "none" : shown)"])
    }

    /// Loads the generator wherever `dict` holds it (`prefix(in:)`).
    public static func load(from dict: StateDict, source: String, allowMissingNoise: Bool = false) throws -> Generator {
        try load(from: dict, prefix: prefix(in: dict, source: source), source: source, allowMissingNoise: allowMissingNoise)
    }

    /// Loads the generator of a checkpoint file, wherever it holds one.
    public static func load(path: String, allowMissingNoise: Bool = false) throws -> Generator {
        try load(from: StateDict.load(path), source: path, allowMissingNoise: allowMissingNoise)
    }
}
