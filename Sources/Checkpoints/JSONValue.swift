import Foundation

/// A JSON value with object keys kept in order, written by hand so that doubles print in their
/// shortest round-trip form (0.95, not 0.94999999999999996) and integers above 2^53 stay exact.
/// Used for the non-tensor parts of checkpoints (`opts`, `args`) and by `cfclip inspect --json`.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer outside Int64, as decimal digits (with a leading "-" when negative).
    case bigInt(String)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Looks up a key of an object (first match); nil for other values.
    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members.first { $0.key == key }?.value }
        return nil
    }

    /// Compact JSON text; `sortedKeys` orders object members by key.
    public func serialized(sortedKeys: Bool = false) -> String {
        var out = ""
        write(to: &out, sortedKeys: sortedKeys, indent: nil, level: 0)
        return out
    }

    /// Indented JSON text (two spaces per level).
    public func pretty(sortedKeys: Bool = false) -> String {
        var out = ""
        write(to: &out, sortedKeys: sortedKeys, indent: "  ", level: 0)
        return out
    }

    private func write(to out: inout String, sortedKeys: Bool, indent: String?, level: Int) {
        func newline(_ l: Int) {
            if let indent { out += "\n" + String(repeating: indent, count: l) }
        }
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .bigInt(digits): out += digits
        case let .double(d):
            // JSON has no NaN/Infinity; Python's json writes these bare words, which most readers
            // reject, so they become strings.
            if d.isNaN { out += "\"NaN\"" } else if d.isInfinite { out += d < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
            else { out += "\(d)" } // Swift prints the shortest round-trip form: 0.95, 1.0, 1e+16
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            if indent != nil, !items.contains(where: \.isContainer) { // shapes and the like stay on one line
                JSONValue.array(items).write(to: &out, sortedKeys: sortedKeys, indent: nil, level: 0)
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                newline(level + 1)
                item.write(to: &out, sortedKeys: sortedKeys, indent: indent, level: level + 1)
            }
            newline(level)
            out += "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            let ordered = sortedKeys ? members.sorted { $0.key < $1.key } : members
            out += "{"
            for (i, m) in ordered.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                newline(level + 1)
                JSONValue.writeString(m.key, to: &out)
                out += ": "
                m.value.write(to: &out, sortedKeys: sortedKeys, indent: indent, level: level + 1)
            }
            newline(level)
            out += "}"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        out += "\""
    }
}

extension JSONValue: Equatable {
    /// Structural equality; object members compare as unordered maps, and a double equal to an
    /// integer equals that integer (JSON does not distinguish 2 from 2.0).
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bigInt(x), .bigInt(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            guard x.count == y.count else { return false }
            let map = Dictionary(y.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            return x.allSatisfy { map[$0.key] == $0.value }
        default: return false
        }
    }
}

extension JSONValue {
    /// Converts what `JSONSerialization` returns (for reading JSON files such as fixtures'
    /// `expected.json`); object members come out sorted by key since Foundation drops the order.
    public init?(foundation value: Any) {
        switch value {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            // Booleans are char-typed NSNumbers on both Darwin and Linux; JSON has no other chars.
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .double(n.doubleValue)
            default: self = .int(n.int64Value)
            }
        case let a as [Any]:
            var items: [JSONValue] = []
            for x in a { guard let v = JSONValue(foundation: x) else { return nil }; items.append(v) }
            self = .array(items)
        case let o as [String: Any]:
            var members: [(key: String, value: JSONValue)] = []
            for k in o.keys.sorted() { guard let v = JSONValue(foundation: o[k]!) else { return nil }; members.append((k, v)) }
            self = .object(members)
        default: return nil
        }
    }

    /// Parses JSON text with Foundation; nil when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? {
        guard let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        return JSONValue(foundation: any)
    }
}
