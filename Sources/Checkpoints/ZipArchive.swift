import CZlib
import Foundation

/// A minimal reader for the zip files `torch.save` and `torch.jit.save` write: stored
/// (uncompressed) entries found through the central directory, zip64 records for files and
/// offsets past 4 GiB. Entries are views into the file's bytes, never copies.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        /// Byte range of the entry's data in the file (after its local header).
        var dataOffset: Int
        var size: Int
        /// CRC-32 the directory records for the entry's bytes.
        var crc: UInt32
    }

    let file: String
    let bytes: UnsafeRawBufferPointer
    private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    /// Entries whose CRC-32 has been checked (storages shared by several tensors are read again).
    private let checked = CheckedEntries()

    init(bytes: UnsafeRawBufferPointer, file: String) throws {
        self.bytes = bytes
        self.file = file
        func bad(_ what: String) -> CheckpointError { .malformed(file: file, what: what) }

        // End of central directory: 22 bytes plus a comment of up to 64 KiB, at the very end.
        let eocdSignature: UInt32 = 0x0605_4b50
        var eocd = -1
        var p = bytes.count - 22
        while p >= 0 && p >= bytes.count - 22 - 0xffff {
            if bytes.u32(p) == eocdSignature { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else {
            throw bad("zip archive is truncated or damaged: no end-of-central-directory record in its \(bytes.count) bytes")
        }
        var entryCount = Int(bytes.u16(eocd + 10))
        var cdSize = Int(bytes.u32(eocd + 12))
        var cdOffset = Int(bytes.u32(eocd + 16))

        // Zip64: a locator just before the EOCD points at the 64-bit record.
        if eocd >= 20, bytes.u32(eocd - 20) == 0x0706_4b50 {
            let recordOffset = bytes.u64(eocd - 20 + 8)
            guard recordOffset <= UInt64(eocd), bytes.has(Int(recordOffset), 56),
                  bytes.u32(Int(recordOffset)) == 0x0606_4b50 else {
                throw bad("zip64 end-of-central-directory record is missing or out of range (truncated file?)")
            }
            let r = Int(recordOffset)
            let n = bytes.u64(r + 32), size = bytes.u64(r + 40), offset = bytes.u64(r + 48)
            guard n < UInt64(bytes.count), size <= UInt64(bytes.count), offset <= UInt64(bytes.count) else {
                throw bad("zip64 central directory lies outside the file (truncated file?)")
            }
            entryCount = Int(n); cdSize = Int(size); cdOffset = Int(offset)
        }
        guard bytes.has(cdOffset, cdSize) else {
            throw bad("zip central directory (\(cdSize) bytes at \(cdOffset)) lies outside the file's \(bytes.count) bytes (truncated file?)")
        }

        guard entryCount <= cdSize / 46 else { // each directory entry takes at least 46 bytes
            throw bad("zip directory claims \(entryCount) entries in \(cdSize) bytes")
        }
        var at = cdOffset
        let cdEnd = cdOffset + cdSize
        entries.reserveCapacity(entryCount)
        for i in 0 ..< entryCount {
            guard at + 46 <= cdEnd, bytes.u32(at) == 0x0201_4b50 else {
                throw bad("zip central directory entry \(i) at byte \(at) is damaged")
            }
            let method = bytes.u16(at + 10)
            let crc = bytes.u32(at + 16)
            var compressed = UInt64(bytes.u32(at + 20))
            var uncompressed = UInt64(bytes.u32(at + 24))
            let nameLength = Int(bytes.u16(at + 28)), extraLength = Int(bytes.u16(at + 30))
            let commentLength = Int(bytes.u16(at + 32))
            var localOffset = UInt64(bytes.u32(at + 42))
            guard at + 46 + nameLength + extraLength + commentLength <= cdEnd else {
                throw bad("zip central directory entry \(i) runs past the directory")
            }
            let name = String(decoding: bytes.slice(at + 46, nameLength), as: UTF8.self)

            // Zip64 extra field: the 64-bit values of the fields stored as 0xffffffff, in order.
            var e = at + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = bytes.u16(e), length = Int(bytes.u16(e + 2))
                guard e + 4 + length <= extraEnd else { break }
                if id == 0x0001 {
                    var f = e + 4
                    func next() -> UInt64? {
                        guard f + 8 <= e + 4 + length else { return nil }
                        defer { f += 8 }
                        return bytes.u64(f)
                    }
                    if uncompressed == 0xffff_ffff, let v = next() { uncompressed = v }
                    if compressed == 0xffff_ffff, let v = next() { compressed = v }
                    if localOffset == 0xffff_ffff, let v = next() { localOffset = v }
                }
                e += 4 + length
            }
            at = extraEnd + commentLength

            guard localOffset < UInt64(bytes.count), bytes.has(Int(localOffset), 30),
                  bytes.u32(Int(localOffset)) == 0x0403_4b50 else {
                throw bad("zip entry '\(name)' has no local header at byte \(localOffset) (truncated file?)")
            }
            let local = Int(localOffset)
            let dataOffset = local + 30 + Int(bytes.u16(local + 26)) + Int(bytes.u16(local + 28))
            guard compressed <= UInt64(bytes.count), bytes.has(dataOffset, Int(compressed)) else {
                throw bad("zip entry '\(name)' (\(compressed) bytes at \(dataOffset)) runs past the end of the file (truncated file?)")
            }
            if method == 0 && compressed != uncompressed {
                throw bad("zip entry '\(name)' is stored but its sizes disagree (\(compressed) vs \(uncompressed))")
            }
            // A second entry of the same name would let a reader see one copy and a lookup another.
            guard index[name] == nil else { throw bad("zip archive holds the entry '\(name)' twice") }
            index[name] = entries.count
            entries.append(Entry(name: name, method: method, dataOffset: dataOffset, size: Int(compressed), crc: crc))
        }
    }

    func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The bytes of a stored entry. Compressed entries are refused: torch writes none.
    func data(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else {
            throw CheckpointError.unsupported(file: file, what: "zip entry '\(entry.name)' is compressed (method \(entry.method)); torch.save writes stored entries, so re-save it with torch.save")
        }
        let data = bytes.slice(entry.dataOffset, entry.size)
        if !checked.contains(entry.dataOffset) {
            var crc: UInt = 0
            var p = data.baseAddress, left = data.count
            while left > 0, let q = p {   // zlib takes 32-bit lengths
                let n = min(left, 1 << 30)
                crc = CZlib.crc32(crc, q.assumingMemoryBound(to: UInt8.self), UInt32(n))
                p = q + n; left -= n
            }
            guard UInt32(truncatingIfNeeded: crc) == entry.crc else {
                throw CheckpointError.malformed(file: file, what: "zip entry '\(entry.name)' is damaged: its CRC-32 is "
                    + String(format: "%08x, the directory says %08x", UInt32(truncatingIfNeeded: crc), entry.crc))
            }
            checked.insert(entry.dataOffset)
        }
        return data
    }
}

/// The set of entries a `ZipArchive` has verified (a class: the archive itself is a value).
final class CheckedEntries {
    private var offsets: Set<Int> = []
    func contains(_ o: Int) -> Bool { offsets.contains(o) }
    func insert(_ o: Int) { offsets.insert(o) }
}
