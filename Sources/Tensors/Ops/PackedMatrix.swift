/// A frozen weight W [N, K] of `y = x Wᵀ + b`, packed once at load for a few-row product: panels
/// of 16 output features, [⌈N/16⌉, K, 16], zero past N.
///
/// Why not OpenBLAS: with the 50-77 token rows of CLIP's towers, `sgemm` spends a fifth of its
/// time packing W again on every call, and a sample's row came out differently in a batched call
/// than alone (BLAS.pieces), so each sample paid that alone. Here every output is one chain of
/// fused multiply-adds over k in order, whatever the rows around it, their number or the thread
/// count: a whole batch is one call and the bytes match a sample's own.
public struct PackedMatrix: Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    let panels: Tensor

    /// Output features per panel (TileProduct's tile width).
    static let width = TileProduct.width

    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "PackedMatrix: weight \(weight.shape) is not [out, in]")
        let (n, k) = (weight.shape[0], weight.shape[1])
        outFeatures = n; inFeatures = k
        let count = (n + Self.width - 1) / Self.width
        panels = Tensor(shape: [count, k, Self.width]) { p in
            weight.withUnsafeBufferPointer { w in
                for pi in 0..<count { for kk in 0..<k { for j in 0..<Self.width {
                    let o = pi * Self.width + j
                    p[(pi * k + kk) * Self.width + j] = o < n ? w[o * k + kk] : 0
                } } }
            }
        }
    }

    /// W [N, K] again, for the input gradient of a frozen layer (training through CLIP).
    public func unpacked() -> Tensor {
        let (n, k) = (outFeatures, inFeatures)
        return Tensor(shape: [n, k]) { w in
            panels.withUnsafeBufferPointer { p in
                for o in 0..<n { for kk in 0..<k { w[o * k + kk] = p[((o / Self.width) * k + kk) * Self.width + o % Self.width] } }
            }
        }
    }

    /// What runs on each output as soon as its panel is done, while it is in the cache.
    public enum Activation: Sendable {
        case none
        /// x · sigmoid(1.702 x) (CLIP's MLP), the same function as `QuickGELU.forwardInPlace`.
        case quickGELU
    }

    /// c[r, :] = alpha · x[r, :] Wᵀ (+ bias), then `activation`, for `rows` rows of x [rows, K]
    /// into c [rows, N]. Each core takes whole panels (TileProduct).
    public func multiply(_ x: UnsafePointer<Float>, rows: Int, alpha: Float = 1, bias: UnsafePointer<Float>?,
                         activation: Activation = .none, into c: UnsafeMutablePointer<Float>) {
        let (n, k, width) = (outFeatures, inFeatures, Self.width)
        if rows == 0 || n == 0 { return }
        let xs = ReadPointer(x), cs = SendablePointer(c), bs = bias.map { ReadPointer($0) }
        panels.withUnsafeBufferPointer { pp in
            let ps = ReadPointer(pp.baseAddress!)
            Parallel.for((n + width - 1) / width, costPerItem: 2 * rows * k * width) { range in
                // elementwise, so applying it per panel gives the bytes of one pass over c
                let finish: ((Range<Int>) -> Void)? = switch activation {
                case .none: nil
                case .quickGELU: { cols in
                    for r in 0..<rows { VectorMath.xSigmoid(cs.p + r * n + cols.lowerBound, count: cols.count, a: QuickGELU.a) }
                }
                }
                TileProduct.run(a: xs.p, lda: k, rows: rows, k: k, b: ps.p, ldb: width, panelStride: k * width, cols: n,
                                panels: range, alpha: alpha, bias: bs?.p, c: cs.p, ldc: n, finish: finish)
            }
        }
    }
}
