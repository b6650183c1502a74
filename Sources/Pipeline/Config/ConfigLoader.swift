import Foundation
import StrictYAML

extension PipelineConfig {
    /// Reads and checks a pipeline file. Relative paths in it are resolved against the file's
    /// folder, so a pipeline runs the same from any working directory.
    public static func load(path: String) throws -> PipelineConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw PipelineError.input(file: path, what: exists ? "cannot read the pipeline file" : "no such pipeline file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(text, file: path, baseDirectory: base)
    }

    /// Parses pipeline YAML; errors name `file` and the key path.
    public static func parse(_ yaml: String, file: String, baseDirectory: String) throws -> PipelineConfig {
        let config: PipelineConfig
        do {
            config = try StrictYAML.decode(PipelineConfig.self, from: yaml, document: "the pipeline file")
        } catch let p as StrictYAML.Problem {
            throw PipelineError.config(file: file, path: p.path, what: p.what)
        }
        try config.checkConsistency(file: file)
        return config.resolvingPaths(relativeTo: baseDirectory)
    }

    /// Checks that need more than one section.
    func checkConsistency(file: String) throws {
        func fail(_ path: String, _ what: String) -> PipelineError { .config(file: file, path: path, what: what) }
        var seen: Set<String> = []
        for (i, e) in edits.enumerated() {
            if !seen.insert(e.name).inserted { throw fail("edits[\(i)].name", "duplicate edit name '\(e.name)'") }
        }
        for (i, e) in edits.enumerated() where e.method == .optimize {
            let w = e.optimization!.weights
            if w.clip > 0 && models.clip == nil { throw fail("edits[\(i)].optimize.weights.clip", "the CLIP term needs models.clip (the guiding model)") }
            if w.identity > 0 && models.arcface == nil { throw fail("edits[\(i)].optimize.weights.identity", "the identity term needs models.arcface") }
            if w.perceptual > 0 && models.vgg == nil { throw fail("edits[\(i)].optimize.weights.perceptual", "the perceptual term needs models.vgg (TediGAN's vgg16.pth)") }
        }
        if models.generator == nil, let first = edits.first, first.mapper == nil {
            throw fail("models.generator", "missing: the first edit (\(first.name)) has no mapper whose embedded decoder could render the sources")
        }
        let m = scores.metrics
        if (m.contains(.clipSimilarity) || m.contains(.directionalCLIP)) && models.clip == nil && scores.clip == nil {
            throw fail("scores.metrics", "CLIP scores need models.clip or scores.clip (checkpoint and vocabulary)")
        }
        if m.contains(.directionalCLIP) && (scores.sourceText ?? "").isEmpty {
            throw fail("scores.source_text", "directional_clip needs the text the source images show (e.g. 'face')")
        }
        if m.contains(.identity) && models.arcface == nil {
            throw fail("scores.metrics", "the identity score needs models.arcface")
        }
    }

    func resolvingPaths(relativeTo base: String) -> PipelineConfig {
        func abs(_ p: String) -> String {
            let expanded = (p as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: base).appendingPathComponent(expanded).standardizedFileURL.path
        }
        var c = self
        c.models.generator = c.models.generator.map(abs)
        c.models.clip?.checkpoint = abs(models.clip?.checkpoint ?? "")
        c.models.clip?.vocabulary = abs(models.clip?.vocabulary ?? "")
        c.models.arcface?.checkpoint = abs(models.arcface?.checkpoint ?? "")
        c.models.vgg = c.models.vgg.map(abs)
        if let j = c.scores.clip { c.scores.clip?.checkpoint = abs(j.checkpoint); c.scores.clip?.vocabulary = abs(j.vocabulary) }
        if case var .hdf5(h) = c.source { h.path = abs(h.path); c.source = .hdf5(h) }
        for i in c.edits.indices {
            c.edits[i].mapper = c.edits[i].mapper.map(abs)
            c.edits[i].generator = c.edits[i].generator.map(abs)
        }
        c.output.dir = abs(c.output.dir)
        c.regression?.golden = abs(regression?.golden ?? "")
        return c
    }
}
