import Foundation
import StrictYAML
import Yams

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
        let root: Node
        do {
            guard let node = try StrictYAML.compose(yaml) else {
                throw PipelineError.config(file: file, path: "", what: "the pipeline file is empty")
            }
            root = node
        } catch let e as PipelineError {
            throw e
        } catch let p as StrictYAML.Problem {
            throw PipelineError.config(file: file, path: p.path, what: p.what)
        } catch {
            throw PipelineError.config(file: file, path: "", what: "not valid YAML: \(yamlProblem(error))")
        }
        let config: PipelineConfig
        do {
            config = try YAMLDecoder().decode(PipelineConfig.self, from: yaml)
        } catch {
            throw describe(error, file: file, root: root)
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
        let m = scores.metrics
        if (m.contains(.clipSimilarity) || m.contains(.directionalCLIP)) && models.clip == nil {
            throw fail("scores.metrics", "CLIP scores need models.clip (checkpoint and vocabulary)")
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
        if case var .hdf5(h) = c.source { h.path = abs(h.path); c.source = .hdf5(h) }
        for i in c.edits.indices { c.edits[i].mapper = abs(c.edits[i].mapper) }
        c.output.dir = abs(c.output.dir)
        c.regression?.golden = abs(regression?.golden ?? "")
        return c
    }

    /// One line for a decoding failure: path, what was expected and what the file holds.
    static func describe(_ error: Error, file: String, root: Node) -> PipelineError {
        func found(_ path: [CodingKey]) -> String {
            var node: Node? = root
            for key in path {
                if let i = key.intValue, case .sequence = node { node = node?[i] } else { node = node?[key.stringValue] }
            }
            switch node {
            case let .scalar(s)?: return s.string.isEmpty ? "nothing" : "'\(s.string)'"
            case .mapping?: return "a mapping"
            case .sequence?: return "a list"
            default: return "nothing"
            }
        }
        func at(_ path: [CodingKey]) -> String {
            var node: Node? = root
            var line: Int? = nil
            for key in path {
                if let i = key.intValue, case .sequence = node { node = node?[i] } else { node = node?[key.stringValue] }
                if let l = node?.mark?.line { line = l }
            }
            return line.map { " (line \($0))" } ?? ""
        }
        switch error {
        case let issue as ConfigIssue:
            return .config(file: file, path: pathText(issue.path), what: issue.what + at(issue.path))
        case let DecodingError.typeMismatch(type, ctx), let DecodingError.valueNotFound(type, ctx):
            if let inner = ctx.underlyingError { return describe(inner, file: file, root: root) }
            let what = found(ctx.codingPath) == "nothing" && type != String.self ? "missing value, expected \(expectedText(type))"
                : "expected \(expectedText(type)), found \(found(ctx.codingPath))"
            return .config(file: file, path: pathText(ctx.codingPath), what: what + at(ctx.codingPath))
        case let DecodingError.keyNotFound(key, ctx):
            return .config(file: file, path: pathText(ctx.codingPath + [key]), what: "missing (required)" + at(ctx.codingPath))
        case let DecodingError.dataCorrupted(ctx):
            if let inner = ctx.underlyingError { return describe(inner, file: file, root: root) }
            return .config(file: file, path: pathText(ctx.codingPath), what: ctx.debugDescription)
        default:
            return .config(file: file, path: "", what: "\(error)")
        }
    }

    static func yamlProblem(_ error: Error) -> String {
        if let y = error as? YamlError {
            switch y {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                return "\(problem) at line \(mark.line), column \(mark.column)"
            default: return "\(y)".components(separatedBy: "\n").first ?? "\(y)"
            }
        }
        return "\(error)"
    }
}
