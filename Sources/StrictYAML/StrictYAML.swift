import Yams

/// The YAML input of every config (pipelines, training): composed once, then screened for what
/// would crash the decoder. Yams reads YAML 1.1 base-60 integers (`1:30` is 90) with unchecked
/// arithmetic, so a scalar with a few `:`-separated parts (or a `-` before them) traps the whole
/// process; such numbers are refused here, by key path, before any decoding.
public enum StrictYAML {
    public struct Problem: Error, Equatable {
        /// Key path such as `source.sampled.count` ("" for the document).
        public let path: String
        public let what: String
    }

    /// The document's root node (nil when empty), after the screening.
    public static func compose(_ text: String) throws -> Node? {
        try checkNesting(text)
        guard let root = try Yams.compose(yaml: text) else { return nil }
        try screen(root, path: "")
        return root
    }

    /// Nesting limits no config comes near: Yams parses nested collections by recursion, and a
    /// few thousand `[` overflowed the stack (fuzz-config, Fuzz/crashes/config/deep-flow-nesting.yaml).
    static let maxFlowDepth = 64, maxIndent = 256

    /// Refuses flow collections nested deeper than `maxFlowDepth` (brackets outside quotes and
    /// comments) and block nesting past column `maxIndent` (spaces and `- ` before a line's
    /// content), before the parser sees the text.
    static func checkNesting(_ text: String) throws {
        let space = UInt8(ascii: " "), dash = UInt8(ascii: "-"), newline = UInt8(ascii: "\n")
        let opensValue: Set<UInt8> = Set(":-[{,?".utf8)
        var depth = 0, line = 1, column = 0
        var quote: UInt8? = nil, escaped = false, comment = false, indent = true
        var previous: UInt8? = nil      // the previous character on this line
        var significant: UInt8? = nil   // the previous character other than a space on this line
        for c in text.utf8 {
            if c == newline {
                line += 1; column = 0; comment = false; indent = true; previous = nil; significant = nil
                continue
            }
            column += 1
            defer { previous = c; if c != space { significant = c } }
            if let q = quote {      // a quoted scalar: brackets inside are text; "…" may span lines
                if escaped { escaped = false } else if q == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") { escaped = true } else if c == q { quote = nil; indent = false }
                continue
            }
            if indent {
                if c == space || c == dash {
                    if column > maxIndent { throw Problem(path: "", what: "nested past column \(maxIndent) at line \(line)") }
                    continue
                }
                indent = false
            }
            if comment { continue }
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // a quote opens a scalar only where a value starts (`don't` is plain text)
                if significant == nil || opensValue.contains(significant!) { quote = c }
            case UInt8(ascii: "#"):
                if previous == nil || previous == space { comment = true }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxFlowDepth { throw Problem(path: "", what: "collections nested deeper than \(maxFlowDepth) levels at line \(line)") }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
        }
    }

    static func screen(_ node: Node, path: String) throws {
        switch node {
        case let .scalar(s):
            if s.style == .plain || s.style == .any, s.string.contains(":"), overflowsAsBase60(s.string) {
                throw Problem(path: path, what: "base-60 number '\(s.string.prefix(40))' is out of range; quote it if it is text")
            }
        case let .mapping(m):
            for (k, v) in m { try screen(v, path: path.isEmpty ? (k.string ?? "?") : path + "." + (k.string ?? "?")) }
        case let .sequence(items):
            for (i, v) in items.enumerated() { try screen(v, path: "\(path)[\(i)]") }
        }
    }

    /// Whether Yams' base-60 reading of `text` could trap for some integer field: it drops `_`,
    /// then weighs every `:`-separated part that parses as an integer (whatever else the text
    /// holds) by a power of 60, the last by 1, with unchecked arithmetic in the field's type -
    /// UInt32 (seeds) is the narrowest here, and a leading `-` traps any unsigned field.
    static func overflowsAsBase60(_ text: String) -> Bool {
        var t = Substring(text.replacingOccurrences(of: "_", with: ""))
        let negative = t.first == "-"
        if t.first == "-" || t.first == "+" { t = t.dropFirst() }
        // a part counts when the field's type parses it: Int for signed fields, UInt64 for
        // unsigned ones (which take parts past Int.max)
        let texts = t.components(separatedBy: ":").filter { Int($0, radix: 10) != nil || UInt64($0, radix: 10) != nil }
        if negative && !texts.isEmpty { return true }
        var base: UInt32 = 1, value: UInt32 = 0
        for text in texts.reversed() {
            guard let p = UInt32(text, radix: 10) else { return true }
            let (term, o1) = p.multipliedReportingOverflow(by: base)
            let (sum, o2) = value.addingReportingOverflow(term)
            let (next, o3) = base.multipliedReportingOverflow(by: 60)
            if o1 || o2 || o3 { return true }
            (value, base) = (sum, next)
        }
        return false
    }
}
