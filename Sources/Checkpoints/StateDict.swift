import Tensors

/// The tensors of a checkpoint under their dotted state-dict names (`g_ema.style.1.weight`,
/// `state_dict.mapper.fc.weight`, `visual.transformer.resblocks.0.attn.in_proj_weight`), their
/// stored dtypes, exact integer values, and the non-tensor entries (`opts`, `args`) as JSON.
public struct StateDict: Sendable {
    /// Where the tensors came from (the file path), for error messages.
    public var source: String
    /// Tensor names in file order.
    public private(set) var names: [String] = []
    /// Every tensor as Float32 (integer tensors converted; their exact values are in `ints`).
    public private(set) var tensors: [String: Tensor] = [:]
    /// Stored dtype of each tensor ("float32", "float16", "int64", ...).
    public private(set) var dtypes: [String: StoredDType] = [:]
    /// Exact values of integer and bool tensors.
    public private(set) var ints: [String: [Int64]] = [:]
    /// Non-tensor entries under their dotted path, in file order (e.g. `opts`).
    public var objects: [(name: String, value: JSONValue)] = []
    /// safetensors `__metadata__`.
    public var metadata: [String: String] = [:]

    public init(source: String) { self.source = source }

    public var count: Int { names.count }
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// The tensor, or an error naming the file and the missing key.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw CheckpointError.mismatch(source: source, problems: ["missing key '\(name)'"]) }
        return t
    }

    public func stored(_ name: String) -> StoredTensor? {
        guard let t = tensors[name], let d = dtypes[name] else { return nil }
        return StoredTensor(dtype: d, values: t, ints: ints[name])
    }

    /// Adds or replaces a tensor.
    public mutating func insert(_ name: String, _ t: StoredTensor) {
        if tensors[name] == nil { names.append(name) }
        tensors[name] = t.values
        dtypes[name] = t.dtype
        ints[name] = t.ints
    }

    /// Reads any supported checkpoint (safetensors, PyTorch zip incl. TorchScript archives,
    /// legacy torch.save), recognised from its content.
    public static func load(_ path: String) throws -> StateDict {
        if try CheckpointFormat.detect(path: path) == .safetensors {
            let contents = try Safetensors.read(path: path)
            var dict = StateDict(source: path)
            for (name, t) in contents.tensors { dict.insert(name, t) }
            dict.metadata = contents.metadata
            return dict
        }
        return StateDict(flattening: try TorchFile.load(path: path), source: path)
    }

    /// Flattens a loaded object: dict keys (and list indices, module attributes) joined with dots
    /// give tensor names; a subtree without tensors is kept whole as one JSON object. Non-tensor
    /// attributes of TorchScript modules (`training`, hook flags) are module state, not data,
    /// and are dropped.
    public init(flattening root: PickleValue, source: String) {
        self.source = source
        walk(root, path: "")
    }

    private mutating func walk(_ value: PickleValue, path: String) {
        func join(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        switch value {
        case let .tensor(t):
            insert(path, t)
        case let .dict(entries) where value.containsTensor:
            for (k, v) in entries { visit(v, path: join(k.pathComponent), keepObjects: true) }
        case let .list(items) where value.containsTensor, let .tuple(items) where value.containsTensor:
            for (i, v) in items.enumerated() { visit(v, path: join(String(i)), keepObjects: true) }
        case let .object(_, state) where value.containsTensor:
            if case let .dict(entries) = state {
                for (k, v) in entries { visit(v, path: join(k.pathComponent), keepObjects: false) }
            } else {
                visit(state, path: path, keepObjects: false)
            }
        default:
            objects.append((path, value.json))
        }
    }

    private mutating func visit(_ child: PickleValue, path: String, keepObjects: Bool) {
        if child.containsTensor { walk(child, path: path) } else if keepObjects { objects.append((path, child.json)) }
    }

    /// The tensors under `prefix` with the prefix removed (`selecting(prefix: "g_ema.")`).
    public func selecting(prefix: String) -> StateDict {
        var out = StateDict(source: source)
        for name in names where name.hasPrefix(prefix) {
            if let t = stored(name) { out.insert(String(name.dropFirst(prefix.count)), t) }
        }
        out.objects = objects.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.value) }
        out.metadata = metadata
        return out
    }

    /// BatchNorm's step counter: stored by PyTorch, used by no forward pass.
    public static func isBatchCounter(_ name: String) -> Bool {
        name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked")
    }
}
