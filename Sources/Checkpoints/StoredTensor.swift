import Tensors

/// Element types a checkpoint may store, named as PyTorch prints them (`torch.float16` →
/// "float16"). Everything is loaded into Float32 for the models; integer and bool tensors are
/// also kept exactly as Int64 so they can be compared and hashed without loss.
public enum StoredDType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }
}

/// One tensor as a checkpoint stored it: its stored dtype and shape, the values as a contiguous
/// Float32 `Tensor` (float16/bfloat16/float64 converted, integers converted for convenience) and,
/// for integer and bool dtypes, the exact values.
public struct StoredTensor: Sendable {
    public var dtype: StoredDType
    public var values: Tensor
    /// Exact values of integer and bool tensors (bools as 0/1); nil for floating-point ones.
    public var ints: [Int64]?

    public var shape: [Int] { values.shape }
    public var isInteger: Bool { ints != nil }

    public init(dtype: StoredDType, values: Tensor, ints: [Int64]? = nil) {
        self.dtype = dtype
        self.values = values
        self.ints = ints
    }

    /// A float32 tensor.
    public init(_ tensor: Tensor) { self.init(dtype: .float32, values: tensor) }

    /// Decodes `count` contiguous little-endian elements of `dtype` starting at `raw` (which the
    /// caller has bounds-checked) into a tensor of `shape`. One pass, no per-element allocation.
    static func decode(_ raw: UnsafeRawBufferPointer, dtype: StoredDType, shape: [Int]) -> StoredTensor {
        let count = shape.reduce(1, *)
        if dtype.isFloatingPoint {
            let t = Tensor(shape: shape) { out in decodeFloats(raw, dtype, count, into: out) }
            return StoredTensor(dtype: dtype, values: t)
        }
        let ints = [Int64](unsafeUninitializedCapacity: count) { buf, initialized in
            decodeInts(raw, dtype, count, into: buf)
            initialized = count
        }
        let t = Tensor(shape: shape) { out in
            for i in 0 ..< count { out[i] = Float(ints[i]) }
        }
        return StoredTensor(dtype: dtype, values: t, ints: ints)
    }
}

/// IEEE binary16 → binary32, exact for every input (subnormals, infinities, NaN payloads).
/// Written out rather than using `Float16`, which is unavailable on some x86 Apple targets.
@inline(__always) func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1f
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24 // zero or subnormal: mantissa · 2^-24, exact
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

private func decodeFloats(_ raw: UnsafeRawBufferPointer, _ dtype: StoredDType, _ count: Int,
                          into out: UnsafeMutableBufferPointer<Float>) {
    guard count > 0, let dst = out.baseAddress, let src = raw.baseAddress else { return }
    switch dtype {
    case .float32:
        #if _endian(little)
        UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
        #else
        for i in 0 ..< count { dst[i] = Float(bitPattern: raw.u32(4 * i)) }
        #endif
    case .float16:
        for i in 0 ..< count { dst[i] = floatFromHalf(raw.u16(2 * i)) }
    case .bfloat16:
        for i in 0 ..< count { dst[i] = Float(bitPattern: UInt32(raw.u16(2 * i)) << 16) }
    case .float64:
        for i in 0 ..< count { dst[i] = Float(Double(bitPattern: raw.u64(8 * i))) }
    default:
        break
    }
}

private func decodeInts(_ raw: UnsafeRawBufferPointer, _ dtype: StoredDType, _ count: Int,
                        into dst: UnsafeMutableBufferPointer<Int64>) {
    switch dtype {
    case .int64: for i in 0 ..< count { dst[i] = Int64(bitPattern: raw.u64(8 * i)) }
    case .int32: for i in 0 ..< count { dst[i] = Int64(Int32(bitPattern: raw.u32(4 * i))) }
    case .int16: for i in 0 ..< count { dst[i] = Int64(Int16(bitPattern: raw.u16(2 * i))) }
    case .int8: for i in 0 ..< count { dst[i] = Int64(Int8(bitPattern: raw[i])) }
    case .uint8: for i in 0 ..< count { dst[i] = Int64(raw[i]) }
    case .bool: for i in 0 ..< count { dst[i] = raw[i] == 0 ? 0 : 1 }
    default: for i in 0 ..< count { dst[i] = 0 }
    }
}
