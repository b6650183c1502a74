import Foundation
import Yams

extension StrictYAML {
    /// Composes, screens and decodes a config document; every failure is one `Problem` naming
    /// the key path, what was expected, what the file holds there and its line. `document`
    /// names the file kind for the empty-file message ("the pipeline file").
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, document: String) throws -> T {
        let root: Node
        do {
            guard let node = try compose(text) else { throw Problem(path: "", what: "\(document) is empty") }
            root = node
        } catch let p as Problem {
            throw p
        } catch {
            throw Problem(path: "", what: "not valid YAML: \(yamlProblem(error))")
        }
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch {
            throw describe(error, root: root)
        }
    }

    /// One line for a decoding failure: path, what was expected and what the file holds.
    static func describe(_ error: Error, root: Node) -> Problem {
        func node(at path: [CodingKey]) -> (Node?, line: Int?) {
            var node: Node? = root
            var line: Int? = nil
            for key in path {
                if let i = key.intValue, case .sequence = node { node = node?[i] } else { node = node?[key.stringValue] }
                if let l = node?.mark?.line { line = l }
            }
            return (node, line)
        }
        func found(_ path: [CodingKey]) -> String {
            switch node(at: path).0 {
            case let .scalar(s)?: return s.string.isEmpty ? "nothing" : "'\(s.string)'"
            case .mapping?: return "a mapping"
            case .sequence?: return "a list"
            default: return "nothing"
            }
        }
        func at(_ path: [CodingKey]) -> String { node(at: path).line.map { " (line \($0))" } ?? "" }
        switch error {
        case let issue as ConfigIssue:
            return Problem(path: pathText(issue.path), what: issue.what + at(issue.path))
        case let DecodingError.typeMismatch(type, ctx), let DecodingError.valueNotFound(type, ctx):
            if let inner = ctx.underlyingError { return describe(inner, root: root) }
            let what = found(ctx.codingPath) == "nothing" && type != String.self ? "missing value, expected \(expectedText(type))"
                : "expected \(expectedText(type)), found \(found(ctx.codingPath))"
            return Problem(path: pathText(ctx.codingPath), what: what + at(ctx.codingPath))
        case let DecodingError.keyNotFound(key, ctx):
            return Problem(path: pathText(ctx.codingPath + [key]), what: "missing (required)" + at(ctx.codingPath))
        case let DecodingError.dataCorrupted(ctx):
            if let inner = ctx.underlyingError { return describe(inner, root: root) }
            return Problem(path: pathText(ctx.codingPath), what: ctx.debugDescription)
        default:
            return Problem(path: "", what: "\(error)")
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
