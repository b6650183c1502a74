import CZlib
import FileIO
import Foundation
import Tensors

/// Writes what `torch.save` writes for a dict of state dicts and tensors: a stored zip archive
/// (`archive/data.pkl`, one `archive/data/N` per tensor, `archive/version`, `archive/byteorder`)
/// whose pickle uses only `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and
/// `torch.FloatStorage`, so `torch.load` reads it with `weights_only=True` (the default since
/// torch 2.6) and this project's allow-listed reader reads it back. Float32, little-endian,
/// each record's data aligned to 64 bytes as torch aligns it. The file appears under its name
/// only when complete.
public enum TorchSave {
    public enum Value {
        case tensor(Tensor)
        /// An `OrderedDict` of tensors in this order (a module's `state_dict()`).
        case stateDict([(String, Tensor)])
    }

    public static func write(_ top: [(String, Value)], to path: String) throws {
        var tensors: [Tensor] = []
        var pickle = Pickler()
        pickle.op(0x80); pickle.op(2)                       // PROTO 2
        pickle.op(0x7D); pickle.op(0x28)                    // EMPTY_DICT, MARK
        for (key, value) in top {
            pickle.string(key)
            switch value {
            case let .tensor(t): pickle.tensor(t, key: tensors.count); tensors.append(t)
            case let .stateDict(entries):
                pickle.orderedDict()
                pickle.op(0x28)
                for (name, t) in entries { pickle.string(name); pickle.tensor(t, key: tensors.count); tensors.append(t) }
                pickle.op(0x75)                             // SETITEMS
            }
        }
        pickle.op(0x75); pickle.op(0x2E)                    // SETITEMS, STOP

        var zip = ZipWriter(file: try DurableFile(path: path, shared: true), path: path)
        try zip.add("archive/data.pkl", pickle.bytes)
        try zip.add("archive/byteorder", Array("little".utf8))
        for (i, t) in tensors.enumerated() {
            try t.withUnsafeBufferPointer { buf in
                #if _endian(little)
                try zip.add("archive/data/\(i)", UnsafeRawBufferPointer(buf))
                #else
                let le = buf.map { $0.bitPattern.littleEndian }
                try le.withUnsafeBytes { try zip.add("archive/data/\(i)", $0) }
                #endif
            }
        }
        try zip.add("archive/version", Array("3\n".utf8))
        try zip.finish()
    }
}

/// Pickle protocol 2 opcodes for the few objects a state dict needs.
private struct Pickler {
    var bytes: [UInt8] = []

    mutating func op(_ b: UInt8) { bytes.append(b) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }

    mutating func string(_ s: String) {                    // BINUNICODE
        let u = Array(s.utf8)
        op(0x58); u32(UInt32(u.count)); bytes += u
    }

    mutating func global(_ module: String, _ name: String) { op(0x63); bytes += Array("\(module)\n\(name)\n".utf8) }

    mutating func int(_ v: Int) {
        if v >= 0 && v < 256 { op(0x4B); op(UInt8(v)) }    // BININT1
        else if v >= Int(Int32.min) && v <= Int(Int32.max) { op(0x4A); withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 } }
        else { op(0x8A); op(8); withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }   // LONG1
    }

    mutating func tuple(_ values: [Int]) {
        if values.isEmpty { op(0x29); return }              // EMPTY_TUPLE
        op(0x28); for v in values { int(v) }; op(0x74)      // MARK ... TUPLE
    }

    /// `collections.OrderedDict()`.
    mutating func orderedDict() { global("collections", "OrderedDict"); op(0x29); op(0x52) }

    /// `_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`, the storage a
    /// persistent id `('storage', FloatStorage, 'KEY', 'cpu', numel)`.
    mutating func tensor(_ t: Tensor, key: Int) {
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28)
        op(0x28); string("storage"); global("torch", "FloatStorage"); string("\(key)"); string("cpu"); int(t.count); op(0x74)
        op(0x51)                                            // BINPERSID
        int(0)
        tuple(t.shape)
        var strides = [Int](repeating: 1, count: t.shape.count)
        for i in stride(from: t.shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * t.shape[i + 1] }
        tuple(strides)
        op(0x89)                                            // NEWFALSE
        orderedDict()
        op(0x74); op(0x52)                                  // TUPLE, REDUCE
    }
}

/// A zip of stored entries (no zip64: a checkpoint over 4 GiB is refused).
private struct ZipWriter {
    let file: DurableFile
    let path: String
    var offset = 0
    var directory: [UInt8] = []
    var count = 0

    init(file: DurableFile, path: String) { self.file = file; self.path = path }

    mutating func add(_ name: String, _ data: [UInt8]) throws { try data.withUnsafeBytes { try add(name, $0) } }

    mutating func add(_ name: String, _ data: UnsafeRawBufferPointer) throws {
        guard offset + data.count < Int(UInt32.max) - (1 << 20) else {
            throw CheckpointError.malformed(file: path, what: "the checkpoint would pass 4 GiB, which this writer does not support")
        }
        let nameBytes = Array(name.utf8)
        let crc = data.isEmpty ? 0 : UInt32(CZlib.crc32(0, data.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(data.count)))
        // extra field "FB" pads the header so the data starts on a 64-byte boundary
        let headerEnd = offset + 30 + nameBytes.count
        var pad = (64 - (headerEnd + 4) % 64) % 64
        if pad < 0 { pad += 64 }
        var header: [UInt8] = []
        func u16(_ v: Int) { header += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: Int) { u16(v & 0xFFFF); u16((v >> 16) & 0xFFFF) }
        u32(0x0403_4B50); u16(20); u16(0); u16(0); u16(0); u16(0x21)
        u32(Int(crc)); u32(data.count); u32(data.count); u16(nameBytes.count); u16(4 + pad)
        header += nameBytes
        header += Array("FB".utf8); u16(pad); header += [UInt8](repeating: 0x5A, count: pad)
        try file.write(header)
        try file.write(data)

        var d: [UInt8] = []
        func d16(_ v: Int) { d += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func d32(_ v: Int) { d16(v & 0xFFFF); d16((v >> 16) & 0xFFFF) }
        d32(0x0201_4B50); d16(20); d16(20); d16(0); d16(0); d16(0); d16(0x21)
        d32(Int(crc)); d32(data.count); d32(data.count); d16(nameBytes.count); d16(0); d16(0); d16(0); d16(0); d32(0); d32(offset)
        d += nameBytes
        directory += d
        offset += header.count + data.count
        count += 1
    }

    mutating func finish() throws {
        try file.write(directory)
        var e: [UInt8] = []
        func e16(_ v: Int) { e += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func e32(_ v: Int) { e16(v & 0xFFFF); e16((v >> 16) & 0xFFFF) }
        e32(0x0605_4B50); e16(0); e16(0); e16(count); e16(count); e32(directory.count); e32(offset); e16(0)
        try file.write(e)
        _ = try file.commit()
    }
}
