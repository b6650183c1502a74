/// A small unpickler for what `torch.save` and `torch.jit.save` write (protocol 2, plus the few
/// protocol 3/4 opcodes newer writers may use). It executes nothing: globals resolve against
/// `PickleGlobal`'s allow-list, and every read is bounds-checked so a damaged file gives an error
/// that names the file, never a crash.
final class Unpickler {
    let file: String
    let bytes: UnsafeRawBufferPointer
    /// Where the next opcode is; after `load()`, just past STOP.
    private(set) var pos: Int
    /// Whether `__torch__.*` classes are allowed (TorchScript archives only).
    let torchScript: Bool
    /// Turns a persistent id (BINPERSID) into a value; nil refuses persistent ids.
    let persistentLoad: ((PV) throws -> PV)?

    private var stack: [PV] = []
    private var marks: [Int] = []
    private var memo: [Int: PV] = [:]
    /// Every container made, so `release()` can break all links iteratively.
    private var nodes: [PickleNode] = []

    init(bytes: UnsafeRawBufferPointer, start: Int = 0, file: String, torchScript: Bool = false,
         persistentLoad: ((PV) throws -> PV)? = nil) {
        self.bytes = bytes
        self.pos = start
        self.file = file
        self.torchScript = torchScript
        self.persistentLoad = persistentLoad
    }

    /// Containers returned by `load()` stay valid while this unpickler lives (or until `release()`).
    deinit { release() }

    /// Clears every container this unpickler made. Call once the frozen result is built.
    func release() {
        for n in nodes { n.clear() }
        nodes = []
        stack = []
        memo = [:]
    }

    func bad(_ what: String) -> CheckpointError { .malformed(file: file, what: what) }

    func makeNode(_ kind: PickleNode.Kind, items: [PV] = []) -> PickleNode {
        let n = PickleNode(kind, items: items)
        nodes.append(n)
        return n
    }

    // MARK: reading

    private func take(_ n: Int, _ op: String) throws -> UnsafeRawBufferPointer {
        guard bytes.has(pos, n) else {
            throw bad("pickle ends inside \(op) at byte \(pos) (truncated file?)")
        }
        defer { pos += n }
        return bytes.slice(pos, n)
    }
    private func u8(_ op: String) throws -> Int { Int(try take(1, op)[0]) }
    private func u16(_ op: String) throws -> Int { Int(try take(2, op).u16(0)) }
    private func u32(_ op: String) throws -> Int { Int(try take(4, op).u32(0)) }
    private func i32(_ op: String) throws -> Int { Int(Int32(bitPattern: try take(4, op).u32(0))) }
    private func u64(_ op: String) throws -> Int {
        let v = try take(8, op).u64(0)
        guard v <= UInt64(Int.max) else { throw bad("\(op) length \(v) at byte \(pos - 8) is absurd") }
        return Int(v)
    }

    private func line(_ op: String) throws -> String {
        var end = pos
        while end < bytes.count, bytes[end] != 0x0a {
            end += 1
            guard end - pos < 4096 else { throw bad("\(op) at byte \(pos) has no line end") }
        }
        guard end < bytes.count else { throw bad("pickle ends inside \(op) at byte \(pos) (truncated file?)") }
        defer { pos = end + 1 }
        return String(decoding: bytes.slice(pos, end - pos), as: UTF8.self)
    }

    private func text(_ n: Int, _ op: String) throws -> String {
        String(decoding: try take(n, op), as: UTF8.self)
    }

    /// Python 2 `str`: UTF-8 when valid, else latin-1 (what `encoding='latin1'` loading gives).
    private func legacyString(_ n: Int, _ op: String) throws -> String {
        let raw = try take(n, op)
        let s = String(decoding: raw, as: UTF8.self)
        if s.utf8.elementsEqual(raw) { return s } // valid UTF-8 survives decoding unchanged
        return String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
    }

    // MARK: stack

    private func pop() throws -> PV {
        guard stack.count > (marks.last ?? 0), let v = stack.popLast() else { throw bad("pickle stack underflow at byte \(pos)") }
        return v
    }

    private func top() throws -> PV {
        guard let v = stack.last, stack.count > (marks.last ?? 0) else { throw bad("pickle stack underflow at byte \(pos)") }
        return v
    }

    private func popMark() throws -> [PV] {
        guard let m = marks.popLast() else { throw bad("pickle has no MARK for the opcode before byte \(pos)") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private func node(_ v: PV, _ op: String) throws -> PickleNode {
        guard case let .node(n) = v else { throw bad("\(op) applied to a \(v.kindName) at byte \(pos)") }
        return n
    }

    private func tuple(_ items: [PV]) -> PV { .node(makeNode(.tuple, items: items)) }

    private func global(_ module: String, _ name: String) throws -> PV {
        if let g = PickleGlobal.resolve(module: module, name: name, torchScript: torchScript) { return .global(g) }
        let full = module + "." + name
        if module == "torch" && name.hasSuffix("Storage") {
            throw CheckpointError.unsupported(file: file, what: "storage type '\(full)' is not supported (float16/32/64, bfloat16, int8/16/32/64, uint8 and bool are)")
        }
        if module.hasPrefix("__torch__") {
            throw CheckpointError.unsupported(file: file, what: "pickle refers to TorchScript class '\(full)' outside a TorchScript archive")
        }
        throw CheckpointError.unsupported(file: file, what: "pickle refers to global '\(full)', which is not on the allow-list")
    }

    private func callable(_ v: PV, _ op: String) throws -> PickleGlobal {
        guard case let .global(g) = v else { throw bad("\(op) on a \(v.kindName) at byte \(pos), not a class or function") }
        return g
    }

    private func memoGet(_ i: Int) throws -> PV {
        guard let v = memo[i] else { throw bad("pickle reads memo entry \(i) before writing it (byte \(pos))") }
        return v
    }

    // MARK: the machine

    /// Runs opcodes until STOP and returns the value on top of the stack.
    func load() throws -> PV {
        while true {
            guard pos < bytes.count else { throw bad("pickle ends at byte \(pos) without STOP (truncated file?)") }
            let at = pos
            let op = bytes[pos]
            pos += 1
            switch op {
            case 0x80: _ = try u8("PROTO") // PROTO: every protocol up to 5 parses with these opcodes
            case 0x95: _ = try u64("FRAME") // FRAME: framing is only a read-ahead hint
            case 0x2e: // STOP
                let v = try pop()
                return v
            case 0x28: marks.append(stack.count) // MARK
            case 0x7d: stack.append(.node(makeNode(.dict))) // EMPTY_DICT
            case 0x5d: stack.append(.node(makeNode(.list))) // EMPTY_LIST
            case 0x29: stack.append(tuple([])) // EMPTY_TUPLE
            case 0x8f: stack.append(.node(makeNode(.list))) // EMPTY_SET (kept as a list)
            case 0x85: let a = try pop(); stack.append(tuple([a])) // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(tuple([a, b])) // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(tuple([a, b, c])) // TUPLE3
            case 0x74: stack.append(tuple(try popMark())) // TUPLE
            case 0x6c: stack.append(.node(makeNode(.list, items: try popMark()))) // LIST
            case 0x64: // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw bad("DICT with an odd number of items at byte \(at)") }
                let d = makeNode(.dict)
                for i in stride(from: 0, to: items.count, by: 2) { d.setItem(items[i], items[i + 1]) }
                stack.append(.node(d))
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                let d = try node(try top(), "SETITEM")
                guard d.isDict else { throw bad("SETITEM on a \(d.kindName) at byte \(at)") }
                d.setItem(key, value)
            case 0x75: // SETITEMS
                let items = try popMark()
                let d = try node(try top(), "SETITEMS")
                guard d.isDict, items.count % 2 == 0 else { throw bad("SETITEMS on a \(d.kindName) with \(items.count) items at byte \(at)") }
                for i in stride(from: 0, to: items.count, by: 2) { d.setItem(items[i], items[i + 1]) }
            case 0x61: // APPEND
                let v = try pop()
                let l = try node(try top(), "APPEND")
                guard case .list = l.kind else { throw bad("APPEND on a \(l.kindName) at byte \(at)") }
                l.items.append(v)
            case 0x65, 0x90: // APPENDS, ADDITEMS
                let items = try popMark()
                let l = try node(try top(), "APPENDS")
                guard case .list = l.kind else { throw bad("APPENDS on a \(l.kindName) at byte \(at)") }
                l.items.append(contentsOf: items)
            case 0x4a: stack.append(.int(Int64(try i32("BININT"))))
            case 0x4b: stack.append(.int(Int64(try u8("BININT1"))))
            case 0x4d: stack.append(.int(Int64(try u16("BININT2"))))
            case 0x8a: stack.append(try long(try u8("LONG1"), "LONG1"))
            case 0x8b:
                let n = try i32("LONG4")
                guard n >= 0 else { throw bad("LONG4 with negative length at byte \(at)") }
                stack.append(try long(n, "LONG4"))
            case 0x47: stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8, "BINFLOAT").loadUnaligned(as: UInt64.self)))))
            case 0x58: stack.append(.string(try text(try u32("BINUNICODE"), "BINUNICODE")))
            case 0x8c: stack.append(.string(try text(try u8("SHORT_BINUNICODE"), "SHORT_BINUNICODE")))
            case 0x8d: stack.append(.string(try text(try u64("BINUNICODE8"), "BINUNICODE8")))
            case 0x54:
                let n = try i32("BINSTRING")
                guard n >= 0 else { throw bad("BINSTRING with negative length at byte \(at)") }
                stack.append(.string(try legacyString(n, "BINSTRING")))
            case 0x55: stack.append(.string(try legacyString(try u8("SHORT_BINSTRING"), "SHORT_BINSTRING")))
            case 0x42: stack.append(.bytes(Array(try take(try u32("BINBYTES"), "BINBYTES"))))
            case 0x43: stack.append(.bytes(Array(try take(try u8("SHORT_BINBYTES"), "SHORT_BINBYTES"))))
            case 0x8e: stack.append(.bytes(Array(try take(try u64("BINBYTES8"), "BINBYTES8"))))
            case 0x4e: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x71: memo[try u8("BINPUT")] = try top()
            case 0x72: memo[try u32("LONG_BINPUT")] = try top()
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case 0x68: stack.append(try memoGet(try u8("BINGET")))
            case 0x6a: stack.append(try memoGet(try u32("LONG_BINGET")))
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x32: stack.append(try top()) // DUP
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line("GLOBAL"), name = try line("GLOBAL")
                stack.append(try global(module, name))
            case 0x93: // STACK_GLOBAL
                guard case let .string(name) = try pop(), case let .string(module) = try pop() else {
                    throw bad("STACK_GLOBAL without module and name strings at byte \(at)")
                }
                stack.append(try global(module, name))
            case 0x52: // REDUCE
                let args = try node(try pop(), "REDUCE")
                let g = try callable(try pop(), "REDUCE")
                stack.append(try call(g, args.items))
            case 0x81: // NEWOBJ
                let args = try node(try pop(), "NEWOBJ")
                let g = try callable(try pop(), "NEWOBJ")
                stack.append(try newObject(g, args.items))
            case 0x62: // BUILD
                let state = try pop()
                try build(try top(), state: state)
            case 0x51: // BINPERSID
                let pid = try pop()
                guard let persistentLoad else { throw bad("pickle has a persistent id (BINPERSID) where none is expected") }
                stack.append(try persistentLoad(pid))
            default:
                throw bad("unsupported pickle opcode 0x\(String(op, radix: 16)) at byte \(at)")
            }
        }
    }

    /// LONG1/LONG4: little-endian two's complement of `n` bytes.
    private func long(_ n: Int, _ op: String) throws -> PV {
        guard n <= 1024 else { throw bad("\(op) integer of \(n) bytes is too large") }
        let raw = Array(try take(n, op))
        if n == 0 { return .int(0) }
        let negative = raw[n - 1] & 0x80 != 0
        let fill: UInt8 = negative ? 0xff : 0
        // Fits in Int64 when every byte above the eighth is sign fill and the sign agrees.
        if n <= 8 || (raw[8...].allSatisfy { $0 == fill } && (raw[7] & 0x80 != 0) == negative) {
            var bits: UInt64 = negative ? ~0 : 0
            for i in 0 ..< min(n, 8) {
                bits &= ~(UInt64(0xff) << (8 * UInt64(i)))
                bits |= UInt64(raw[i]) << (8 * UInt64(i))
            }
            return .int(Int64(bitPattern: bits))
        }
        return .bigInt(decimalString(littleEndianTwosComplement: raw))
    }
}

/// Decimal digits of an arbitrary-size two's complement integer (LONG1/LONG4 payloads above
/// Int64, such as the legacy torch magic number 119547037146038801333356).
func decimalString(littleEndianTwosComplement raw: [UInt8]) -> String {
    var magnitude = raw
    let negative = (raw.last ?? 0) & 0x80 != 0
    if negative { // negate: invert and add one
        var carry = 1
        for i in magnitude.indices {
            let v = Int(~magnitude[i]) + carry
            magnitude[i] = UInt8(v & 0xff)
            carry = v >> 8
        }
    }
    var digits: [UInt8] = []
    var limbs = magnitude.reversed().map { UInt32($0) } // big-endian base-256 digits
    while limbs.contains(where: { $0 != 0 }) {
        var remainder: UInt32 = 0
        for i in limbs.indices {
            let v = remainder << 8 | limbs[i]
            limbs[i] = v / 10
            remainder = v % 10
        }
        digits.append(UInt8(remainder))
    }
    if digits.isEmpty { return "0" }
    return (negative ? "-" : "") + String(digits.reversed().map { Character(String($0)) })
}
