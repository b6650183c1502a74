/// A POSIX ustar archive writer (the container of WebDataset shards): per member a 512-byte
/// header (octal size/mode/mtime, checksum computed with its own field as spaces, type '0',
/// magic "ustar\0" "00"), the data padded to 512 bytes, and two zero blocks at the end.
/// Bytes go to `sink` as they are produced, so a shard never sits whole in memory. Members get
/// mtime 0, uid/gid 0 and mode 0644, so the same members always give the same archive bytes.
public final class TarWriter {
    public static let blockSize = 512
    let sink: ([UInt8]) throws -> Void
    public private(set) var bytesWritten = 0

    public init(sink: @escaping ([UInt8]) throws -> Void) { self.sink = sink }

    /// Appends one regular file. Names must fit the 100-byte name field (shard keys are short).
    public func append(name: String, data: [UInt8]) throws {
        try emit(try Self.header(name: name, size: data.count))
        try emit(data)
        let pad = Self.padding(data.count)
        if pad > 0 { try emit([UInt8](repeating: 0, count: pad)) }
    }

    /// The end-of-archive marker: two zero blocks.
    public func finish() throws { try emit([UInt8](repeating: 0, count: 2 * Self.blockSize)) }

    func emit(_ bytes: [UInt8]) throws {
        try sink(bytes)
        bytesWritten += bytes.count
    }

    static func padding(_ size: Int) -> Int { (blockSize - size % blockSize) % blockSize }

    static func header(name: String, size: Int) throws -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count <= 100 else {
            throw MediaError.encode(format: "tar", what: "member name '\(name)' must be 1-100 bytes")
        }
        var h = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { h[offset + i] = b } }
        // numeric fields: zero-padded octal, NUL-terminated, filling width - 1 digits
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8), at: offset)
        }
        put(nameBytes, at: 0)
        octal(0o644, at: 100, width: 8)      // mode
        octal(0, at: 108, width: 8)          // uid
        octal(0, at: 116, width: 8)          // gid
        octal(size, at: 124, width: 12)      // size
        octal(0, at: 136, width: 12)         // mtime
        put(Array(repeating: 0x20, count: 8), at: 148)   // checksum field counts as spaces
        h[156] = UInt8(ascii: "0")           // regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        let sum = h.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8) + [0, 0x20], at: 148)
        return h
    }
}

/// Reads the regular-file members of a ustar archive held in memory (shards written by
/// `TarWriter`, or by GNU tar without long names).
public enum TarReader {
    public static func members(_ bytes: [UInt8], file: String = "<tar>") throws -> [(name: String, data: ArraySlice<UInt8>)] {
        var out: [(String, ArraySlice<UInt8>)] = []
        var offset = 0
        let block = TarWriter.blockSize
        while offset + block <= bytes.count {
            let header = bytes[offset..<(offset + block)]
            if header.allSatisfy({ $0 == 0 }) { break }
            let name = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: header.dropFirst(124).prefix(12).prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            guard let size = Int(sizeText, radix: 8) else {
                throw MediaError.decode(file: file, what: "tar member at byte \(offset) has no valid size")
            }
            let start = offset + block
            guard start + size <= bytes.count else {
                throw MediaError.decode(file: file, what: "tar member '\(name)' runs past the end of the archive (truncated?)")
            }
            let type = header[header.startIndex + 156]
            if type == UInt8(ascii: "0") || type == 0 { out.append((name, bytes[start..<(start + size)])) }
            offset = start + size + TarWriter.padding(size)
        }
        return out
    }
}
