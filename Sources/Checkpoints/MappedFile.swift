import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only. Checkpoints reach hundreds of megabytes (the FFHQ generator,
/// CLIP ViT-B/32), so tensors are decoded straight from the mapping: the bytes are copied once,
/// into the tensors, never into an intermediate `Data`.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.io(file: path, what: "no such file")
        }
        if isDirectory.boolValue { throw CheckpointError.io(file: path, what: "is a directory, not a checkpoint file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(file: path, what: "cannot open: \(MappedFile.lastError())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CheckpointError.io(file: path, what: "cannot stat: \(MappedFile.lastError())") }
        length = Int(info.st_size)
        if length == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw CheckpointError.io(file: path, what: "cannot map the file: \(MappedFile.lastError())")
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: length)
    }

    deinit { if let base { munmap(base, length) } }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Little-endian reads at byte offsets. Callers bounds-check first (`has`); these never trap on
/// alignment because they use unaligned loads.
extension UnsafeRawBufferPointer {
    @inline(__always) func has(_ offset: Int, _ count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= self.count && count <= self.count - offset
    }
    @inline(__always) func u8(_ at: Int) -> UInt8 { self[at] }
    @inline(__always) func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    @inline(__always) func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    @inline(__always) func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt64.self)) }

    /// `count` bytes from `offset` as a buffer of its own (no copy). Bounds-checked by the caller.
    @inline(__always) func slice(_ offset: Int, _ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[offset ..< offset + count])
    }
}
