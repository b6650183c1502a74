import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole checkpoint in memory, read through the one reader (`InputFile`): a regular file
/// only, every read error an error. (It was an mmap, but a mapped page that cannot be read -
/// an NFS hiccup, a file truncated meanwhile - kills the process with SIGBUS.) Tensors are
/// decoded straight from this buffer: the bytes are copied once more, into the tensors.
final class CheckpointBytes {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    init(path: String) throws {
        self.path = path
        let input: InputFile
        do { input = try InputFile(path: path) } catch let e as FileIOError {
            throw CheckpointError.io(file: path, what: e.what)
        }
        let length = input.size
        if length == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 64)
        do { try input.read(into: p, count: length, at: 0) } catch let e as FileIOError {
            p.deallocate()
            throw CheckpointError.io(file: path, what: e.what)
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: length)
    }

    deinit { base?.deallocate() }
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
