/// PyTorch's zip format (torch.save since 1.6, and torch.jit.save): entries under one top-level
/// folder `<p>/`: `data.pkl` (the pickled object), `data/<key>` (raw little-endian storages),
/// `byteorder`, `version`, and for TorchScript archives also `code/` and `constants.pkl`.
public enum TorchFile {
    /// Loads a torch.save / torch.jit.save file (zip or legacy format).
    public static func load(path: String) throws -> PickleValue {
        let file = try CheckpointBytes(path: path)
        return try withExtendedLifetime(file) {
            switch CheckpointFormat.detect(file.bytes) {
            case .zip: return try loadZip(file.bytes, file: path)
            case .legacy: return try loadLegacy(file.bytes, file: path)
            case .safetensors:
                throw CheckpointError.unsupported(file: path, what: "is a safetensors file, not a torch.save file")
            case nil: throw CheckpointFormat.unknownFormatError(path, size: file.bytes.count)
            }
        }
    }

    static func loadZip(_ bytes: UnsafeRawBufferPointer, file: String) throws -> PickleValue {
        let zip = try ZipArchive(bytes: bytes, file: file)
        // data.pkl sits in the one top-level folder (its name varies: the file's stem, "archive").
        let candidates = zip.entries.filter {
            $0.name == "data.pkl" || ($0.name.hasSuffix("/data.pkl") && !$0.name.dropLast(9).contains("/"))
        }
        guard let pkl = candidates.min(by: { $0.name.count < $1.name.count }) else {
            throw CheckpointError.malformed(file: file, what: "zip archive has no data.pkl: not a PyTorch checkpoint")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let order = zip.entry(prefix + "byteorder") {
            let text = String(decoding: try zip.data(order), as: UTF8.self).trimmingWhitespace
            guard text == "little" else {
                throw CheckpointError.unsupported(file: file, what: "storages are stored \(text)-endian; only little-endian files are supported")
            }
        }
        let torchScript = zip.entry(prefix + "constants.pkl") != nil
            || zip.entries.contains { $0.name.hasPrefix(prefix + "code/") }

        let unpickler = Unpickler(bytes: try zip.data(pkl), file: file, torchScript: torchScript) {
            try storageReference($0, file: file)
        }
        defer { unpickler.release() }
        let root = try unpickler.load()
        let freezer = PickleFreezer(file: file, budget: try LoadBudget(file: file, fileSize: bytes.count)) { ref in
            let name = prefix + "data/" + ref.key
            guard let entry = zip.entry(name) else {
                throw CheckpointError.malformed(file: file, what: "storage '\(name)' named by data.pkl is missing from the archive (truncated file?)")
            }
            return (try zip.data(entry), "storage '\(name)'")
        }
        return try freezer.freeze(root)
    }

    /// A persistent id `('storage', StorageType, key, location, numel)`; the legacy format adds
    /// `view_metadata = (view_key, offset, size)` or None. `location` ('cpu', 'cuda:0') is ignored.
    static func storageReference(_ pid: PV, file: String) throws -> PV {
        guard case let .node(t) = pid, t.isSequence, t.items.count >= 5,
              case .string("storage") = t.items[0] else {
            throw CheckpointError.unsupported(file: file, what: "persistent id \(pid.kindName) is not a ('storage', ...) record; only tensors and containers of them are supported")
        }
        guard case let .global(.storageType(dtype)) = t.items[1] else {
            throw CheckpointError.malformed(file: file, what: "storage record names \(t.items[1].kindName) instead of a storage type")
        }
        let key: String
        switch t.items[2] {
        case let .string(s): key = s
        case let .int(i): key = String(i)
        default: throw CheckpointError.malformed(file: file, what: "storage record key is \(t.items[2].kindName), not a string")
        }
        guard case let .int(n) = t.items[4], n >= 0, let numel = Int(exactly: n) else {
            throw CheckpointError.malformed(file: file, what: "storage '\(key)' has an invalid element count")
        }
        var ref = StorageRef(key: key, dtype: dtype, offset: 0, numel: numel)
        if t.items.count >= 6, case let .node(view) = t.items[5] {
            guard view.items.count == 3, case let .int(offset) = view.items[1], case let .int(size) = view.items[2],
                  offset >= 0, size >= 0, offset <= n, size <= n - offset else {
                throw CheckpointError.malformed(file: file, what: "storage '\(key)' has an invalid view (offset/size outside its \(numel) elements)")
            }
            ref.offset = Int(offset)
            ref.numel = Int(size)
        }
        return .storage(ref)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
