/// The classes and functions a checkpoint pickle may name. Nothing is imported or run: each
/// allowed global has a fixed meaning implemented below, and any other global is an error that
/// names it (a pickle naming `os.system` is refused, not executed).
enum PickleGlobal: Equatable, CustomStringConvertible {
    case orderedDict
    case rebuildTensorV2, rebuildTensor, rebuildParameter, rebuildParameterWithState
    case storageType(StoredDType)
    case namespace
    case torchDevice, torchSize
    case codecsEncode
    case numpyScalar, numpyDType
    case set
    /// torch.jit._pickle.build_intlist & co.: return their list argument.
    case jitListBuilder
    /// torch.jit._pickle.restore_type_tag(value, type): returns value.
    case jitRestoreTypeTag
    /// A `__torch__.*` class of a TorchScript archive (a scripted/traced module).
    case scriptClass(String)

    static let storageTypes: [String: StoredDType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "DoubleStorage": .float64, "LongStorage": .int64, "IntStorage": .int32,
        "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    /// The meaning of `module.name`, or nil when it is not on the allow-list. `__torch__.*`
    /// classes are allowed only inside TorchScript archives.
    static func resolve(module: String, name: String, torchScript: Bool) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", "device"): return .torchDevice
        case ("torch", "Size"): return .torchSize
        case ("argparse", "Namespace"): return .namespace
        case ("_codecs", "encode"): return .codecsEncode
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"): return .numpyScalar
        case ("numpy", "dtype"): return .numpyDType
        case ("builtins", "set"), ("__builtin__", "set"), ("builtins", "frozenset"), ("__builtin__", "frozenset"):
            return .set
        case ("torch", _):
            return storageTypes[name].map { .storageType($0) }
        case ("torch.jit._pickle", "restore_type_tag"):
            return torchScript ? .jitRestoreTypeTag : nil
        case ("torch.jit._pickle", _) where name.hasPrefix("build_") && name.hasSuffix("list"):
            return torchScript ? .jitListBuilder : nil
        default:
            if torchScript && (module == "__torch__" || module.hasPrefix("__torch__.")) {
                return .scriptClass(module + "." + name)
            }
            return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case let .storageType(d): return "torch." + (PickleGlobal.storageTypes.first { $0.value == d }?.key ?? "Storage")
        case .namespace: return "argparse.Namespace"
        case .torchDevice: return "torch.device"
        case .torchSize: return "torch.Size"
        case .codecsEncode: return "_codecs.encode"
        case .numpyScalar: return "numpy.core.multiarray.scalar"
        case .numpyDType: return "numpy.dtype"
        case .set: return "builtins.set"
        case .jitListBuilder: return "torch.jit._pickle.build_list"
        case .jitRestoreTypeTag: return "torch.jit._pickle.restore_type_tag"
        case let .scriptClass(name): return name
        }
    }

    var description: String { qualifiedName }
}

extension Unpickler {
    /// REDUCE: `callable(*args)` for the allowed callables.
    func call(_ g: PickleGlobal, _ args: [PV]) throws -> PV {
        func arg(_ i: Int) throws -> PV {
            guard i < args.count else { throw bad("\(g) called with \(args.count) arguments") }
            return args[i]
        }
        switch g {
        case .orderedDict:
            let d = makeNode(.dict)
            if let pairs = args.first, case let .node(n) = pairs, n.isSequence {
                for case let .node(pair) in n.items where pair.items.count == 2 { d.setItem(pair.items[0], pair.items[1]) }
            }
            return .node(d)
        case .rebuildTensorV2, .rebuildTensor:
            guard case let .storage(storage) = try arg(0) else { throw bad("\(g) expects a storage, got \(args.first?.kindName ?? "nothing")") }
            let layout = TensorLayout(offset: try int(arg(1), "storage offset"),
                                      shape: try ints(arg(2), "size"), strides: try ints(arg(3), "stride"))
            return .tensor(TensorRef(storage: storage, layout: layout))
        case .rebuildParameter, .rebuildParameterWithState:
            return try arg(0) // a Parameter is its data; requires_grad and hooks do not matter here
        case .torchDevice:
            guard case let .string(type) = try arg(0) else { throw bad("torch.device expects a string") }
            if args.count > 1, case let .int(index) = args[1] { return .string("\(type):\(index)") }
            return .string(type)
        case .torchSize, .set, .jitListBuilder:
            guard let first = args.first else { return .node(makeNode(g == .torchSize ? .tuple : .list)) }
            guard case let .node(n) = first, n.isSequence else { throw bad("\(g) expects a sequence, got \(first.kindName)") }
            return .node(makeNode(g == .torchSize ? .tuple : .list, items: n.items))
        case .jitRestoreTypeTag:
            return try arg(0)
        case .codecsEncode:
            // Protocol 2 writes bytes as _codecs.encode(text, 'latin1').
            guard case let .string(text) = try arg(0) else { throw bad("_codecs.encode expects a string") }
            if args.count > 1, case let .string(enc) = args[1], enc.lowercased().replacingOccurrences(of: "-", with: "") == "utf8" {
                return .bytes(Array(text.utf8))
            }
            var out: [UInt8] = []
            for s in text.unicodeScalars {
                guard s.value < 256 else { throw bad("_codecs.encode: character U+\(String(s.value, radix: 16)) is not latin-1") }
                out.append(UInt8(s.value))
            }
            return .bytes(out)
        case .numpyDType:
            guard case let .string(code) = try arg(0) else { throw bad("numpy.dtype expects a type code") }
            return .node(makeNode(.object(g.qualifiedName), items: [.string(code)]))
        case .numpyScalar:
            return try numpyScalar(try arg(0), try arg(1))
        case .namespace, .scriptClass:
            return .node(makeNode(.object(g.qualifiedName)))
        case .storageType:
            throw bad("pickle calls \(g) directly; storages must come through persistent ids")
        }
    }

    /// NEWOBJ: `cls.__new__(cls, *args)`.
    func newObject(_ g: PickleGlobal, _ args: [PV]) throws -> PV {
        switch g {
        case .namespace, .scriptClass: return .node(makeNode(.object(g.qualifiedName)))
        case .orderedDict: return .node(makeNode(.dict))
        case .set: return .node(makeNode(.list))
        default: return try call(g, args)
        }
    }

    /// BUILD: set an object's state.
    func build(_ target: PV, state: PV) throws {
        switch target {
        case let .node(n):
            switch n.kind {
            case .object:
                // A (dict, slots) pair is how objects with __slots__ pickle; keep the dict.
                if case let .node(s) = state, case .tuple = s.kind, s.items.count == 2, case .node = s.items[0] {
                    n.state = s.items[0]
                } else {
                    n.state = state
                }
            case .dict:
                if case let .node(s) = state, s.isDict { for (k, v) in zip(s.keys, s.items) { n.setItem(k, v) } }
            case .list, .tuple:
                break
            }
        case .tensor:
            break // tensor subclasses may carry python attributes; they do not change the values
        default:
            throw bad("BUILD on a \(target.kindName)")
        }
    }

    private func int(_ v: PV, _ what: String) throws -> Int {
        guard case let .int(i) = v, let x = Int(exactly: i) else { throw bad("tensor \(what) is \(v.kindName), not an int") }
        return x
    }

    private func ints(_ v: PV, _ what: String) throws -> [Int] {
        guard case let .node(n) = v, n.isSequence else { throw bad("tensor \(what) is \(v.kindName), not a tuple") }
        return try n.items.map { try int($0, what) }
    }

    /// numpy.core.multiarray.scalar(dtype, bytes): a numpy scalar (e.g. a float64 in `opts`).
    private func numpyScalar(_ dtype: PV, _ data: PV) throws -> PV {
        guard case let .node(d) = dtype, case let .string(code)? = d.items.first, case let .bytes(raw) = data else {
            throw bad("numpy scalar without a dtype and bytes")
        }
        var bigEndian = false
        if case let .node(s)? = d.state, s.items.count > 1, case let .string(order) = s.items[1] { bigEndian = order == ">" }
        let kind = code.first ?? "?"
        let size = Int(code.dropFirst()) ?? 0
        guard [1, 2, 4, 8].contains(size), raw.count == size else { throw bad("numpy scalar of type '\(code)' with \(raw.count) bytes") }
        var bits: UInt64 = 0
        for (i, b) in (bigEndian ? raw.reversed() : raw).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
        switch (kind, size) {
        case ("f", 8): return .float(Double(bitPattern: bits))
        case ("f", 4): return .float(Double(Float(bitPattern: UInt32(bits))))
        case ("f", 2): return .float(Double(floatFromHalf(UInt16(bits))))
        case ("b", 1): return .bool(bits != 0)
        case ("u", 8): return bits > UInt64(Int64.max) ? .bigInt(String(bits)) : .int(Int64(bits))
        case ("u", _): return .int(Int64(bits))
        case ("i", _):
            let shift = UInt64(64 - 8 * size) // sign-extend
            return .int(Int64(bitPattern: bits << shift) >> Int64(shift))
        default: throw bad("numpy scalar of unsupported type '\(code)'")
        }
    }
}
