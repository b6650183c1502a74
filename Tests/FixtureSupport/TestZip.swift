import Foundation

/// A tiny writer of stored (uncompressed) zip archives, as torch.save writes them: checkpoints,
/// damaged ones and latent files in tests.
public enum TestZip {
    public static func make(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func u32(_ v: Int, _ a: inout [UInt8]) { for i in 0 ..< 4 { a.append(UInt8(v >> (8 * i) & 0xff)) } }
        for (name, data) in entries {
            let offset = out.count
            let crc = Int(crc32(data))
            let nameBytes = Array(name.utf8)
            u32(0x0403_4b50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(data.count, &out); u32(data.count, &out); u16(nameBytes.count, &out); u16(0, &out)
            out += nameBytes
            out += data
            u32(0x0201_4b50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(crc, &central); u32(data.count, &central); u32(data.count, &central)
            u16(nameBytes.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(0, &central); u32(offset, &central)
            central += nameBytes
        }
        let cdOffset = out.count
        out += central
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(central.count, &out); u32(cdOffset, &out); u16(0, &out)
        return out
    }

    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for b in data {
            crc ^= UInt32(b)
            for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// Pickle byte strings for tests (protocol 2 opcodes, as torch.save writes them).
public enum TestPickle {
    public static func unicode(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [0x58] + withUnsafeBytes(of: UInt32(b.count).littleEndian, Array.init) + b
    }
    public static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    public static let proto: [UInt8] = [0x80, 0x02]
    public static let stop: [UInt8] = [0x2e]

    /// `{'w': tensor}` with one float32 tensor of `shape` on storage key "0" of `numel` elements.
    public static func stateDict(shape: [Int], numel: Int, strides given: [Int]? = nil, offset: Int = 0,
                          storage: String = "FloatStorage", parameter: Bool = false) -> [UInt8] {
        var p = proto + [0x7d, 0x28] + unicode("w") // EMPTY_DICT MARK 'w'
        if parameter { p += global("torch._utils", "_rebuild_parameter") + [0x28] }
        p += global("torch._utils", "_rebuild_tensor_v2") + [0x28] // MARK (args)
        p += [0x28] + unicode("storage") + global("torch", storage) + unicode("0") + unicode("cpu")
        p += [0x4a] + withUnsafeBytes(of: Int32(numel).littleEndian, Array.init) + [0x74, 0x51] // TUPLE BINPERSID
        p += [0x4b, UInt8(offset)] // storage offset
        var strides: [Int] = []
        var acc = 1
        for d in shape.reversed() { strides.insert(acc, at: 0); acc *= d }
        strides = given ?? strides
        p += [0x28] + shape.flatMap { [0x4b, UInt8($0)] } + [0x74]
        p += [0x28] + strides.flatMap { [0x4b, UInt8($0)] } + [0x74]
        p += [0x89] + global("collections", "OrderedDict") + [0x29, 0x52] // False, OrderedDict()
        p += [0x74, 0x52] // TUPLE REDUCE
        if parameter { p += [0x88] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52] } // (t, True, OrderedDict())
        p += [0x75] + stop // SETITEMS STOP
        return p
    }
}

extension TestZip {
    /// The same archive with zip64 records: 0xffffffff in the 32-bit size and offset fields,
    /// the real values in zip64 extra fields, and a zip64 end-of-central-directory record and
    /// locator, as writers produce for files past 4 GiB.
    public static func make64(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func u32(_ v: Int, _ a: inout [UInt8]) { for i in 0 ..< 4 { a.append(UInt8(v >> (8 * i) & 0xff)) } }
        func u64(_ v: Int, _ a: inout [UInt8]) { for i in 0 ..< 8 { a.append(UInt8(v >> (8 * i) & 0xff)) } }
        for (name, data) in entries {
            let offset = out.count
            let crc = Int(crc32(data))
            let nameBytes = Array(name.utf8)
            var localExtra: [UInt8] = []
            u16(1, &localExtra); u16(16, &localExtra); u64(data.count, &localExtra); u64(data.count, &localExtra)
            u32(0x0403_4b50, &out); u16(45, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(0xffff_ffff, &out); u32(0xffff_ffff, &out); u16(nameBytes.count, &out); u16(localExtra.count, &out)
            out += nameBytes + localExtra + data
            var extra: [UInt8] = []
            u16(1, &extra); u16(24, &extra); u64(data.count, &extra); u64(data.count, &extra); u64(offset, &extra)
            u32(0x0201_4b50, &central); u16(45, &central); u16(45, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(crc, &central); u32(0xffff_ffff, &central); u32(0xffff_ffff, &central)
            u16(nameBytes.count, &central); u16(extra.count, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(0, &central); u32(0xffff_ffff, &central)
            central += nameBytes + extra
        }
        let cdOffset = out.count
        out += central
        let record = out.count
        u32(0x0606_4b50, &out); u64(44, &out); u16(45, &out); u16(45, &out); u32(0, &out); u32(0, &out)
        u64(entries.count, &out); u64(entries.count, &out); u64(central.count, &out); u64(cdOffset, &out)
        u32(0x0706_4b50, &out); u32(0, &out); u64(record, &out); u32(1, &out)
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(0xffff, &out); u16(0xffff, &out)
        u32(0xffff_ffff, &out); u32(0xffff_ffff, &out); u16(0, &out)
        return out
    }
}
