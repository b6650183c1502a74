/// Values on the unpickler's stack and in its memo, before tensors are materialised.
/// Containers are reference types because pickle mutates them after memoising them
/// (EMPTY_DICT, BINPUT, SETITEMS): a later BINGET must see the filled dict.
enum PV {
    case none
    case bool(Bool)
    case int(Int64)
    case bigInt(String)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case node(PickleNode)
    /// A class or function from the allow-list (never called, only recognised).
    case global(PickleGlobal)
    case storage(StorageRef)
    case tensor(TensorRef)

    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case let .node(n): return n.kindName
        case let .global(g): return "global \(g)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A list, tuple, dict or object under construction.
final class PickleNode {
    enum Kind { case list, tuple, dict, object(String) }
    let kind: Kind
    /// List/tuple elements, or dict values (parallel to `keys`).
    var items: [PV]
    var keys: [PV] = []
    /// Position of each string/int key in `keys`, so SETITEM replaces like Python does.
    private var keyIndex: [String: Int] = [:]
    /// The state BUILD gave an object.
    var state: PV?

    init(_ kind: Kind, items: [PV] = []) {
        self.kind = kind
        self.items = items
    }

    var kindName: String {
        switch kind {
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case let .object(name): return "\(name) object"
        }
    }

    var isDict: Bool { if case .dict = kind { return true } else { return false } }
    var isSequence: Bool {
        switch kind {
        case .list, .tuple: return true
        default: return false
        }
    }

    func setItem(_ key: PV, _ value: PV) {
        let hashKey: String?
        switch key {
        case let .string(s): hashKey = "s" + s
        case let .int(i): hashKey = "i" + String(i)
        default: hashKey = nil
        }
        if let hashKey, let i = keyIndex[hashKey] {
            items[i] = value
            return
        }
        if let hashKey { keyIndex[hashKey] = keys.count }
        keys.append(key)
        items.append(value)
    }

    /// Drops every reference this node holds. The unpickler clears all nodes when it is done, so
    /// releasing a deeply nested (or cyclic) hostile pickle never recurses through deinit.
    func clear() {
        items = []
        keys = []
        keyIndex = [:]
        state = nil
    }
}

/// A storage as a persistent id names it: its key in the archive (`data/<key>`) or legacy
/// record, element type, first element (legacy views into a larger storage) and element count.
struct StorageRef {
    var key: String
    var dtype: StoredDType
    var offset: Int
    var numel: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a view into a storage.
struct TensorRef {
    var storage: StorageRef
    var layout: TensorLayout
}

/// Where the bytes of a storage are, for materialising tensors once all storages are known.
/// Returns the bytes from the storage's element 0 and a name for error messages.
typealias StorageResolver = (StorageRef) throws -> (bytes: UnsafeRawBufferPointer, name: String)

/// Converts unpickled values into `PickleValue`s, reading every tensor from its storage.
struct PickleFreezer {
    let file: String
    /// Counts what the file makes us build: shared references are frozen once per use, so
    /// a tiny pickle can ask for exponentially many values.
    let budget: LoadBudget
    let resolve: StorageResolver
    /// Nesting beyond this is refused (real checkpoints nest ~10 deep) so that recursion stays
    /// far from the stack limit.
    static let maxDepth = 200

    func freeze(_ v: PV, depth: Int = 0) throws -> PickleValue {
        guard depth < PickleFreezer.maxDepth else {
            throw CheckpointError.malformed(file: file, what: "pickle nests containers more than \(PickleFreezer.maxDepth) deep (or refers to itself)")
        }
        try budget.object()
        switch v {
        case .none: return .none
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .bigInt(s): return .bigInt(s)
        case let .float(d): return .float(d)
        case let .string(s): return .string(s)
        case let .bytes(b): return .bytes(b)
        case let .global(g): return .string(g.qualifiedName)
        case .storage:
            throw CheckpointError.unsupported(file: file, what: "holds a bare storage outside a tensor; only tensors are supported")
        case let .tensor(t): return .tensor(try materialize(t))
        case let .node(n):
            let items = try n.items.map { try freeze($0, depth: depth + 1) }
            switch n.kind {
            case .list: return .list(items)
            case .tuple: return .tuple(items)
            case .dict:
                let keys = try n.keys.map { try freeze($0, depth: depth + 1) }
                return .dict(Array(zip(keys, items).map { (key: $0.0, value: $0.1) }))
            case let .object(name):
                let state = try n.state.map { try freeze($0, depth: depth + 1) } ?? .none
                if name == PickleGlobal.namespace.qualifiedName {
                    // argparse.Namespace is only a bag of attributes: a dict says the same.
                    if case .dict = state { return state }
                    return .dict([])
                }
                return .object(className: name, state: state)
            }
        }
    }

    private func materialize(_ t: TensorRef) throws -> StoredTensor {
        var elements = 1
        for d in t.layout.shape { elements = d < 0 ? 0 : elements.multipliedReportingOverflow(by: d).overflow ? Int.max : elements * d }
        try budget.tensor(elements: elements, dtype: t.storage.dtype, shape: t.layout.shape)
        let (bytes, name) = try resolve(t.storage)
        let es = t.storage.dtype.byteSize
        let (start, o) = t.storage.offset.multipliedReportingOverflow(by: es)
        guard !o, t.storage.offset >= 0, start <= bytes.count else {
            throw CheckpointError.malformed(file: file, what: "view of \(name) starts at element \(t.storage.offset), past the end of its \(bytes.count) bytes")
        }
        return try StoredTensor.materialize(storage: bytes.slice(start, bytes.count - start), numel: t.storage.numel,
                                            dtype: t.storage.dtype, layout: t.layout, storageName: name, file: file)
    }
}
