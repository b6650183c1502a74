/// The legacy torch.save format (PyTorch < 1.6, e.g. 2019–2020 converted StyleGAN2 and IR-SE50
/// files): consecutive pickles — magic number, protocol version 1001, sys_info, the object (with
/// persistent ids `('storage', type, root_key, location, numel, view_metadata)`), the list of
/// storage keys — then for each key in that order an int64 element count and the raw data.
extension TorchFile {
    static let legacyMagic = "119547037146038801333356" // 0x1950a86a20f9469cfc6c
    static let legacyProtocol: Int64 = 1001

    static func loadLegacy(_ bytes: UnsafeRawBufferPointer, file: String) throws -> PickleValue {
        func bad(_ what: String) -> CheckpointError { .malformed(file: file, what: what) }
        var position = 0
        func next(_ persistentLoad: ((PV) throws -> PV)? = nil) throws -> (PV, Unpickler) {
            let u = Unpickler(bytes: bytes, start: position, file: file, persistentLoad: persistentLoad)
            let v = try u.load()
            position = u.pos
            return (v, u)
        }

        let (magic, _) = try next()
        guard case .bigInt(legacyMagic) = magic else {
            let found: String
            switch magic {
            case let .int(i): found = "the number \(i)"
            case let .bigInt(s): found = "the number \(s)"
            default: found = "a \(magic.kindName)"
            }
            throw bad("not a torch.save file: a legacy file starts with the magic number \(legacyMagic), this one with \(found)")
        }
        let (proto, _) = try next()
        guard case .int(legacyProtocol) = proto else {
            throw CheckpointError.unsupported(file: file, what: "legacy torch.save protocol \(proto) is not supported (only \(legacyProtocol))")
        }
        let (sysInfo, sysUnpickler) = try next()
        defer { sysUnpickler.release() } // its containers stay valid until released
        if case let .node(info) = sysInfo, info.isDict,
           let i = info.keys.firstIndex(where: { if case .string("little_endian") = $0 { return true } else { return false } }),
           case .bool(false) = info.items[i] {
            throw CheckpointError.unsupported(file: file, what: "was saved on a big-endian machine; only little-endian files are supported")
        }

        // The object. Remember each root storage's type: the data records do not repeat it.
        var storageTypes: [String: StoredDType] = [:]
        let (root, objectUnpickler) = try next { pid in
            let ref = try storageReference(pid, file: file)
            if case let .storage(s) = ref {
                if let known = storageTypes[s.key], known != s.dtype {
                    throw bad("storage '\(s.key)' is used as both \(known.rawValue) and \(s.dtype.rawValue)")
                }
                storageTypes[s.key] = s.dtype
            }
            return ref
        }
        defer { objectUnpickler.release() }

        let (keyList, keysUnpickler) = try next()
        defer { keysUnpickler.release() }
        guard case let .node(keysNode) = keyList, keysNode.isSequence else {
            throw bad("legacy file has no list of storage keys after the object (truncated file?)")
        }

        // The storage records, in the order of the key list.
        var records: [String: UnsafeRawBufferPointer] = [:]
        for item in keysNode.items {
            guard case let .string(key) = item else { throw bad("legacy storage key list holds a \(item.kindName)") }
            guard let dtype = storageTypes[key] else {
                throw bad("legacy storage '\(key)' is listed but no tensor uses it, so its element type is unknown")
            }
            guard bytes.has(position, 8) else {
                throw bad("legacy storage '\(key)' record is missing: file ends at byte \(bytes.count) (truncated file?)")
            }
            let count = bytes.u64(position)
            let (size, overflow) = Int(clamping: count).multipliedReportingOverflow(by: dtype.byteSize)
            guard count <= UInt64(Int.max), !overflow, bytes.has(position + 8, size) else {
                throw bad("legacy storage '\(key)' record of \(count) \(dtype.rawValue) values runs past the end of the file (truncated file?)")
            }
            records[key] = bytes.slice(position + 8, size)
            position += 8 + size
        }

        let freezer = PickleFreezer(file: file, budget: try LoadBudget(file: file, fileSize: bytes.count)) { ref in
            guard let data = records[ref.key] else {
                throw bad("legacy storage '\(ref.key)' has no data record (truncated file?)")
            }
            return (data, "legacy storage '\(ref.key)'")
        }
        return try freezer.freeze(root)
    }
}
