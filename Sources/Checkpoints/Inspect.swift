import FileIO
/// What `cfclip inspect` reports about a checkpoint: every tensor's dotted name, stored dtype,
/// shape and the SHA-256 of its values as contiguous little-endian float32 (int64 for integer
/// and bool tensors), so two files can be compared tensor by tensor whatever their container.
public struct Inspection: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var sha256: String
    }

    public var tensors: [Entry]
    public var objects: [(name: String, value: JSONValue)]

    public init(_ dict: StateDict) {
        tensors = dict.names.compactMap { name in
            guard let t = dict.stored(name) else { return nil }
            return Entry(name: name, dtype: t.dtype.rawValue, shape: t.shape, sha256: Inspection.checksum(t))
        }
        objects = dict.objects
        if !dict.metadata.isEmpty {
            objects.append(("__metadata__", .object(dict.metadata.keys.sorted().map { ($0, .string(dict.metadata[$0]!)) })))
        }
    }

    public static func of(path: String) throws -> Inspection { Inspection(try StateDict.load(path)) }

    /// SHA-256 of the values: float32 little-endian for floating dtypes (after upcasting),
    /// int64 little-endian for integers and bools.
    public static func checksum(_ t: StoredTensor) -> String {
        var h = SHA256()
        if let ints = t.ints {
            #if _endian(little)
            ints.withUnsafeBytes { h.update($0) }
            #else
            ints.map { $0.littleEndian }.withUnsafeBytes { h.update($0) }
            #endif
        } else {
            t.values.withUnsafeBufferPointer { buf in
                #if _endian(little)
                h.update(UnsafeRawBufferPointer(buf))
                #else
                buf.map { $0.bitPattern.littleEndian }.withUnsafeBytes { h.update($0) }
                #endif
            }
        }
        return h.hexDigest()
    }

    /// `{"tensors": [{"name", "dtype", "shape", "sha256"}, ...], "objects": {...}}`.
    public var jsonValue: JSONValue {
        .object([
            ("tensors", .array(tensors.map { e in
                .object([
                    ("name", .string(e.name)),
                    ("dtype", .string(e.dtype)),
                    ("shape", .array(e.shape.map { .int(Int64($0)) })),
                    ("sha256", .string(e.sha256)),
                ])
            })),
            ("objects", .object(objects.map { ($0.name, $0.value) })),
        ])
    }

    public func json(pretty: Bool = true) -> String { pretty ? jsonValue.pretty() : jsonValue.serialized() }

    /// An aligned table of the tensors, then the non-tensor entries as `name = JSON` lines.
    public func table() -> String {
        let header = ["name", "dtype", "shape", "sha256"]
        let rows = tensors.map { [$0.name, $0.dtype, shapeText($0.shape), $0.sha256] }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count) }
                .joined(separator: "  ")
        }
        var out = [line(header)]
        out += rows.map(line)
        let elements = tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        out.append("\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"), \(elements) values")
        if !objects.isEmpty {
            out.append("")
            for o in objects { out.append("\(o.name.isEmpty ? "(root)" : o.name) = \(o.value.serialized())") }
        }
        return out.joined(separator: "\n")
    }
}
