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

    /// The format of the file at `path`.
    public static func detect(path: String) throws -> CheckpointFormat? {
        let file = try MappedFile(path: path)
        return withExtendedLifetime(file) { detect(file.bytes) }
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
    let file = try MappedFile(path: path)
    return try withExtendedLifetime(file) {
        switch CheckpointFormat.detect(file.bytes) {
        case .zip: return try TorchFile.loadZip(file.bytes, file: path)
        case .legacy: return try TorchFile.loadLegacy(file.bytes, file: path)
        case .safetensors:
            let st = try Safetensors.read(file.bytes, file: path)
            var entries = st.tensors.map { (key: PickleValue.string($0.name), value: PickleValue.tensor($0.tensor)) }
            if !st.metadata.isEmpty {
                let meta = st.metadata.sorted { $0.key < $1.key }.map { (key: PickleValue.string($0.key), value: PickleValue.string($0.value)) }
                entries.append((.string("__metadata__"), .dict(meta)))
            }
            return .dict(entries)
        case nil: throw CheckpointFormat.unknownFormatError(path, size: file.bytes.count)
        }
    }
}
