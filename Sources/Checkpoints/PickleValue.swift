/// What a `torch.save` file (or a TorchScript archive's `data.pkl`) holds once unpickled. Nothing
/// is executed: tensors are rebuilt from their storages, `OrderedDict` and `argparse.Namespace`
/// become dicts, TorchScript modules become objects whose state is their attribute dict.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer outside Int64, as decimal digits (with a leading "-" when negative).
    case bigInt(String)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict (or OrderedDict / Namespace) with its entries in insertion order.
    case dict([(key: PickleValue, value: PickleValue)])
    case tensor(StoredTensor)
    /// An instance of an allowed class, e.g. a TorchScript module `__torch__.clip.model.CLIP`,
    /// with the state BUILD gave it (usually a dict of attributes).
    case object(className: String, state: PickleValue)

    /// The value of `key` when this is a dict with string keys (or an object with a dict state).
    public subscript(key: String) -> PickleValue? {
        switch self {
        case let .dict(entries):
            return entries.first { if case let .string(k) = $0.key { return k == key } else { return false } }?.value
        case let .object(_, state): return state[key]
        default: return nil
        }
    }

    public var tensor: StoredTensor? { if case let .tensor(t) = self { return t } else { return nil } }
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    public var int: Int64? { if case let .int(i) = self { return i } else { return nil } }

    /// True when a tensor occurs anywhere inside this value.
    public var containsTensor: Bool {
        switch self {
        case .tensor: return true
        case let .list(items), let .tuple(items): return items.contains { $0.containsTensor }
        case let .dict(entries): return entries.contains { $0.value.containsTensor }
        case let .object(_, state): return state.containsTensor
        default: return false
        }
    }

    /// The key as it appears in a dotted state-dict name ("0" for an int key).
    var pathComponent: String {
        switch self {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .bigInt(s): return s
        case let .bool(b): return b ? "True" : "False"
        case .none: return "None"
        case let .float(d): return "\(d)"
        default: return "?"
        }
    }

    /// The value as JSON, for options and other non-tensor entries. Tuples become arrays, dict
    /// keys become strings, bytes become arrays of numbers, a tensor becomes a short description.
    public var json: JSONValue {
        switch self {
        case .none: return .null
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .bigInt(s): return .bigInt(s)
        case let .float(d): return .double(d)
        case let .string(s): return .string(s)
        case let .bytes(b): return .array(b.map { .int(Int64($0)) })
        case let .list(items), let .tuple(items): return .array(items.map(\.json))
        case let .dict(entries): return .object(entries.map { ($0.key.pathComponent, $0.value.json) })
        case let .tensor(t): return .string("tensor(\(t.dtype.rawValue), \(shapeText(t.shape)))")
        case let .object(name, state):
            var members: [(key: String, value: JSONValue)] = [("__class__", .string(name))]
            if case let .object(m) = state.json { members += m } else if case .none = state {} else { members.append(("__state__", state.json)) }
            return .object(members)
        }
    }
}
