import Foundation

/// Strict Codable decoding for every config file: Codable ignores keys it does not know, which
/// turns a typo (`strenght: 2`) into a silently ignored setting. Each config type opens its
/// container through `strictContainer`, which rejects unknown keys with their path; enums
/// and ranges are checked with `decodeChoice` / `require` so errors name the path too.
public struct ConfigIssue: Error {
    public var path: [CodingKey]
    public var what: String
    public init(path: [CodingKey], what: String) { self.path = path; self.what = what }
}

/// Any key, to list the keys a mapping really has.
public struct AnyKey: CodingKey {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// A keyed container that throws on keys `K` does not declare.
    public func strictContainer<K: CodingKey & CaseIterable>(_ type: K.Type) throws -> KeyedDecodingContainer<K> {
        let any = try container(keyedBy: AnyKey.self)
        for key in any.allKeys where K(stringValue: key.stringValue) == nil {
            let allowed = K.allCases.map(\.stringValue).joined(separator: ", ")
            throw ConfigIssue(path: codingPath + [key], what: "unknown key (expected one of: \(allowed))")
        }
        return try container(keyedBy: K.self)
    }
}

extension KeyedDecodingContainer {
    /// A string that must be one of an enum's raw values.
    public func decodeChoice<E: RawRepresentable & CaseIterable>(_ type: E.Type, forKey key: Key) throws -> E? where E.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = E(rawValue: raw) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: " or ")
            throw ConfigIssue(path: codingPath + [key], what: "expected \(allowed), found '\(raw)'")
        }
        return value
    }

    /// Checks a decoded value, naming the key when it fails.
    public func require<T>(_ value: T, _ ok: (T) -> Bool, forKey key: Key, _ what: String) throws -> T {
        guard ok(value) else { throw ConfigIssue(path: codingPath + [key], what: "\(what), found \(value)") }
        return value
    }
}

/// `edits[1].alpha` from a coding path.
public func pathText(_ path: [CodingKey]) -> String {
    var out = ""
    for key in path {
        if let i = key.intValue, key.stringValue == String(i) || key.stringValue.hasPrefix("Index") {
            out += "[\(i)]"
        } else {
            out += out.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return out
}

/// "a number", "a string", ... for a type Codable expected.
func expectedText(_ type: Any.Type) -> String {
    switch type {
    case is Float.Type, is Double.Type: return "a number"
    case is Int.Type, is UInt32.Type, is UInt64.Type, is Int64.Type: return "an integer"
    case is String.Type: return "a string"
    case is Bool.Type: return "true or false"
    default:
        let name = String(describing: type)
        if name.contains("Mapping") || name.contains("Dictionary") { return "a mapping (key: value lines)" }
        if name.contains("Sequence") || name.contains("Array") { return "a list" }
        if name.contains("Scalar") { return "a single value" }
        return name
    }
}
