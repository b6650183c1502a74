import FileIO

/// The file formats this module reads, recognised from the first bytes (never the extension:
/// `.pt`, `.pth`, `.bin` and `.ckpt` all occur for the same formats).
public enum CheckpointFormat: String, Sendable {
    /// safetensors: u64 header length, JSON header, raw data.
    case safetensors
    /// torch.save since PyTorch 1.6, and torch.jit.save (TorchScript archives): a stored zip.
    case zip
    /// torch.save before 1.6: consecutive pickles followed by raw storages.
    case legacy

    /// Recognises a format from the leading bytes; nil when it is none of them.
    public static func detect(_ b: UnsafeRawBufferPointer) -> CheckpointFormat? {
        if b.count >= 2, b[0] == 0x50, b[1] == 0x4b { return .zip } // "PK"
        // safetensors: a plausible header length (under 1 TiB, so its top bytes are zero), then
        // "{". Checked before pickles because a length's low byte may be 0x80.
        if b.count >= 9, b[8] == UInt8(ascii: "{"), b[5] == 0, b[6] == 0, b[7] == 0 { return .safetensors }
        if b.count >= 2, b[0] == 0x80 { return .legacy } // PROTO: a pickle stream
        return nil
    }

    /// The format of the file at `path`, from its first 16 bytes.
    public static func detect(path: String) throws -> CheckpointFormat? {
        let head: [UInt8]
        do {
            let file = try InputFile(path: path)
            head = try file.bytes(at: 0, count: min(16, file.size))
        } catch let e as FileIOError { throw CheckpointError.io(file: path, what: e.what) }
        return head.withUnsafeBytes { detect($0) }
    }

    static func unknownFormatError(_ file: String, size: Int) -> CheckpointError {
        if size < 16 {
            return .malformed(file: file, what: "only \(size) bytes long: too short to be a checkpoint (truncated or empty file?)")
        }
        return .malformed(file: file, what: "not a checkpoint: neither safetensors, a PyTorch zip archive (torch.save since 1.6, torch.jit.save) nor a legacy torch.save file")
    }
}

/// Loads any supported checkpoint as a value tree: a torch file's unpickled object, or for
/// safetensors a dict of its tensors (plus `__metadata__` when present).
public func loadCheckpointValue(path: String) throws -> PickleValue {
    let file = try CheckpointBytes(path: path)
    return try withExtendedLifetime(file) { try loadCheckpointValue(bytes: file.bytes, name: path) }
}

/// The same from bytes already in memory (`name` stands for the file in errors); the fuzzers'
/// entry point.
public func loadCheckpointValue(bytes: UnsafeRawBufferPointer, name: String) throws -> PickleValue {
    switch CheckpointFormat.detect(bytes) {
    case .zip: return try TorchFile.loadZip(bytes, file: name)
    case .legacy: return try TorchFile.loadLegacy(bytes, file: name)
    case .safetensors:
        let st = try Safetensors.read(bytes, file: name)
        var entries = st.tensors.map { (key: PickleValue.string($0.name), value: PickleValue.tensor($0.tensor)) }
        if !st.metadata.isEmpty {
            let meta = st.metadata.sorted { $0.key < $1.key }.map { (key: PickleValue.string($0.key), value: PickleValue.string($0.value)) }
            entries.append((.string("__metadata__"), .dict(meta)))
        }
        return .dict(entries)
    case nil: throw CheckpointFormat.unknownFormatError(name, size: bytes.count)
    }
}
