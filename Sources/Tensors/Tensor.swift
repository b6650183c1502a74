import CMemory
import CSupport
import Foundation

/// Contiguous, 64-byte aligned Float32 storage shared between tensor values until one of them
/// writes (copy-on-write).
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    private let block: UnsafeMutableRawPointer

    public init(count: Int) {
        _ = MemoryPolicy.configured
        self.count = count
        // malloc, then align by hand: memalign sizes its request above the block it will keep,
        // so a freed tensor's block never fits the next tensor of the same size, and every
        // other layer would fault in fresh pages (see MemoryPolicy).
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard let raw = malloc(bytes + 64) else { fatalError("out of memory allocating \(bytes) bytes") }
        block = raw
        let aligned = (Int(bitPattern: raw) + 63) & ~63
        pointer = UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(block) }

    @usableFromInline func copy() -> TensorStorage {
        let s = TensorStorage(count: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }
}

/// A row-major Float32 tensor (NCHW for images). A value type: copies share storage until written.
/// There are no strided views; an op that permutes writes a new contiguous tensor.
public struct Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *))
        storage.pointer.initialize(repeating: 0, count: storage.count)
    }

    /// Tensor filled with a constant.
    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *))
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    /// Uninitialised tensor, for ops that overwrite every element.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *))
    }

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count,
                     "Tensor(shape: \(shape)) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        storage = TensorStorage(count: values.count)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Fills a new tensor from a closure that writes every element of a raw buffer.
    public init(shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        self.init(uninitialized: shape)
        try fill(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// Read-only access to the contiguous values.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Mutable access; copies the storage first if another value shares it.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Same values under another shape with the same element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = known == 0 ? 0 : count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = s
        return t
    }

    public subscript(flat i: Int) -> Float {
        get { storage.pointer[i] }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            storage.pointer[i] = newValue
        }
    }

    /// x[..., range, ...] along `axis` as a new contiguous tensor (axis 0 by default; negative
    /// counts from the end).
    public func slice(axis: Int = 0, _ range: Range<Int>) -> Tensor {
        let a = axis < 0 ? rank + axis : axis
        let (outer, n, inner) = Tensor.split(shape, at: a)
        precondition(range.lowerBound >= 0 && range.upperBound <= n, "slice \(range) of axis \(a) in \(shape)")
        var outShape = shape
        outShape[a] = range.count
        let m = range.count * inner
        return Tensor(shape: outShape) { out in
            guard m > 0 else { return }
            for o in 0..<outer { (out.baseAddress! + o * m).update(from: storage.pointer + (o * n + range.lowerBound) * inner, count: m) }
        }
    }

    /// x[..., range, ...] = part along `axis`.
    public mutating func setSlice(axis: Int = 0, _ range: Range<Int>, _ part: Tensor) {
        let a = axis < 0 ? rank + axis : axis
        let (outer, n, inner) = Tensor.split(shape, at: a)
        let m = range.count * inner
        precondition(part.count == outer * m, "setSlice: part \(part.shape) for \(range) of axis \(a) in \(shape)")
        guard m > 0 else { return }
        withUnsafeMutableBufferPointer { dst in
            part.withUnsafeBufferPointer { src in
                for o in 0..<outer { (dst.baseAddress! + (o * n + range.lowerBound) * inner).update(from: src.baseAddress! + o * m, count: m) }
            }
        }
    }

    /// Concatenation along `axis` (0 by default; negative counts from the end); every other
    /// axis must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "concatenate: no parts")
        let a = axis < 0 ? parts[0].rank + axis : axis
        var shape = parts[0].shape
        for p in parts {
            var s = p.shape
            precondition(s.count == shape.count, "concatenate: \(p.shape) vs \(parts[0].shape)")
            s[a] = shape[a]
            precondition(s == shape, "concatenate along axis \(a): \(p.shape) vs \(parts[0].shape)")
        }
        shape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        var out = Tensor(uninitialized: shape)
        var at = 0
        for p in parts { out.setSlice(axis: a, at..<(at + p.shape[a]), p); at += p.shape[a] }
        return out
    }

    /// (product of the axes before `a`, size of `a`, product of the axes after it).
    static func split(_ shape: [Int], at a: Int) -> (Int, Int, Int) {
        precondition(a >= 0 && a < shape.count, "axis \(a) of \(shape)")
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(6).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(count > 6 ? ", …" : "")])"
    }
}

extension Tensor: Equatable {
    /// Bitwise-equal shapes and values (NaNs with equal bits compare equal).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                memcmp(pa.baseAddress!, pb.baseAddress!, a.count * 4) == 0
            }
        }
    }
}

/// The heap policy (CMemory's memory_policy.c: freed blocks stay in one heap that every thread
/// reuses) is set by a constructor when the binary loads; asking for it here keeps it linked.
enum MemoryPolicy {
    static let configured: Bool = cfclip_memory_policy_set() != 0
}
