import FileIO
import Foundation

/// Reads a finished shard back without loading it whole: `members` lists its files (for a
/// tar, from the headers alone, seeking past the data), `read` fetches one. Used by the
/// report's image grid and by regression comparisons, which hold one image at a time.
struct ShardReader {
    struct Member {
        /// "KEY.field", e.g. "000000042.src.png".
        let name: String
        let path: String
        let offset: UInt64
        let size: Int
        var key: String { String(name.prefix { $0 != "." }) }
        var field: String { String(name.drop { $0 != "." }.dropFirst()) }
        /// The field without its file extension: "src", "lipstick", "lipstick@0.5", "json".
        var item: String { field.contains(".") ? String(field[..<field.lastIndex(of: ".")!]) : field }
    }

    let layout: OutputLayout
    let isTar: Bool

    init(layout: OutputLayout, manifest: Manifest) {
        self.layout = layout
        isTar = manifest.isTar
    }

    func members(shard: Int) throws -> [Member] {
        if !isTar {
            let dir = layout.path(layout.folderRelative(shard))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return names.sorted().map { Member(name: $0, path: dir + "/" + $0, offset: 0, size: -1) }
        }
        let path = layout.path(layout.tarRelative(shard))
        let file = try InputFile(path: path)
        var out: [Member] = []
        var offset = 0
        while offset + 512 <= file.size {
            let header = try file.bytes(at: offset, count: 512)
            guard !header.allSatisfy({ $0 == 0 }) else { break }
            let name = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            let sizeText = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            guard let size = Int(sizeText, radix: 8), size >= 0, size <= file.size - offset - 512 else {
                throw PipelineError.input(file: path, what: "corrupt tar header at byte \(offset)")
            }
            out.append(Member(name: name, path: path, offset: UInt64(offset + 512), size: size))
            offset += 512 + (size + 511) / 512 * 512
        }
        return out
    }

    func read(_ m: Member) throws -> [UInt8] {
        let file = try InputFile(path: m.path)
        if m.size < 0 { return try file.readAll() }
        return try file.bytes(at: Int(m.offset), count: m.size)
    }

    /// Members grouped by sample key, in shard order.
    func samples(shard: Int) throws -> [(key: String, members: [Member])] {
        var out: [(key: String, members: [Member])] = []
        for m in try members(shard: shard) {
            if out.last?.key == m.key { out[out.count - 1].members.append(m) } else { out.append((m.key, [m])) }
        }
        return out
    }
}
