import FileIO
import Foundation
import Tensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// safetensors (huggingface/safetensors): u64 little-endian header length N, N bytes of JSON
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then the
/// data; offsets are relative to the end of the header. The project writes its own checkpoints
/// in this format (float32 plus a metadata map).
public enum Safetensors {
    public struct Contents: Sendable {
        /// Tensors sorted by name.
        public var tensors: [(name: String, tensor: StoredTensor)]
        public var metadata: [String: String]
    }

    static let dtypes: [String: StoredDType] = [
        "F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64, "I64": .int64,
        "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    public static func read(path: String) throws -> Contents {
        let file = try CheckpointBytes(path: path)
        return try withExtendedLifetime(file) { try read(file.bytes, file: path) }
    }

    static func read(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Contents {
        func bad(_ what: String) -> CheckpointError { .malformed(file: file, what: what) }
        guard bytes.count >= 8 else { throw bad("safetensors file of \(bytes.count) bytes has no header length (truncated file?)") }
        let headerLength = bytes.u64(0)
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw bad("safetensors header length \(headerLength) runs past the end of the file (\(bytes.count) bytes; truncated file?)")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let headerBytes = Data(bytes.slice(8, Int(headerLength)))
        guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw bad("safetensors header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let map = meta as? [String: Any] else { throw bad("safetensors __metadata__ is not an object") }
            for (k, v) in map {
                guard let s = v as? String else { throw bad("safetensors __metadata__ entry '\(k)' is not a string") }
                metadata[k] = s
            }
        }

        struct Entry { var name: String; var dtype: StoredDType; var shape: [Int]; var begin: Int; var end: Int }
        var entries: [Entry] = []
        for name in header.keys.sorted() where name != "__metadata__" {
            guard let info = header[name] as? [String: Any] else { throw bad("safetensors entry '\(name)' is not an object") }
            guard let code = info["dtype"] as? String else { throw bad("safetensors entry '\(name)' has no dtype") }
            guard let dtype = dtypes[code] else {
                throw CheckpointError.unsupported(file: file, what: "safetensors entry '\(name)' has dtype \(code); supported: \(dtypes.keys.sorted().joined(separator: ", "))")
            }
            guard let shapeAny = info["shape"] as? [Any], let shape = integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("safetensors entry '\(name)' has no valid shape")
            }
            guard let offsetsAny = info["data_offsets"] as? [Any], let offsets = integers(offsetsAny), offsets.count == 2 else {
                throw bad("safetensors entry '\(name)' has no valid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad("safetensors header lies about offsets: '\(name)' has data_offsets [\(begin), \(end)] outside the \(dataSize) data bytes")
            }
            var count = 1
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o, p <= maxTensorElements else { throw bad("safetensors entry '\(name)' of shape \(shapeText(shape)) is too large") }
                count = p
            }
            guard end - begin == count * dtype.byteSize else {
                throw bad("safetensors header lies about offsets: '\(name)' (\(code), shape \(shapeText(shape))) needs \(count * dtype.byteSize) bytes but data_offsets [\(begin), \(end)] give \(end - begin)")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        // No two tensors may share bytes.
        let byOffset = entries.filter { $0.end > $0.begin }.sorted { $0.begin < $1.begin }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where b.begin < a.end {
            throw bad("safetensors header lies about offsets: '\(a.name)' [\(a.begin), \(a.end)] and '\(b.name)' [\(b.begin), \(b.end)] overlap")
        }

        let tensors = entries.map { e in
            (name: e.name, tensor: StoredTensor.decode(bytes.slice(dataStart + e.begin, e.end - e.begin), dtype: e.dtype, shape: e.shape))
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// Integers from a JSON array, nil if any element is not an integer.
    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, let i = Int(exactly: n.doubleValue), n.int64Value == Int64(i) else { return nil }
            out.append(i)
        }
        return out
    }

    /// Writes float32 tensors (sorted by name) and optional metadata. The file appears under its
    /// final name only when complete: written to a temporary name, flushed to disk, renamed.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let names = tensors.keys.sorted()
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            members.append((name, .object([
                ("dtype", .string("F32")),
                ("shape", .array(t.shape.map { .int(Int64($0)) })),
                ("data_offsets", .array([.int(Int64(offset)), .int(Int64(offset + 4 * t.count))])),
            ])))
            offset += 4 * t.count
        }
        var header = Array(JSONValue.object(members).serialized().utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) } // keeps the data 8-byte aligned

        let file = try DurableFile(path: path, shared: true)
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try file.write($0) }
        try header.withUnsafeBytes { try file.write($0) }
        for name in names {
            try tensors[name]!.withUnsafeBufferPointer { buf in
                #if _endian(little)
                try file.write(UnsafeRawBufferPointer(buf))
                #else
                let le = buf.map { $0.bitPattern.littleEndian }
                try le.withUnsafeBytes { try file.write($0) }
                #endif
            }
        }
        try file.commit()
    }
}
