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

    /// dx = dy W [rows, K] for dy [rows, N]: the input gradient of a frozen layer, read from the
    /// panels (unpacking W per backward copied all of it: 51 MB for IR-SE50's output layer).
    /// Each panel is one product over its 16 outputs, added in panel order.
    public func inputGradient(_ dy: Tensor) -> Tensor {
        let (n, k, width) = (outFeatures, inFeatures, Self.width)
        precondition(dy.shape.last == n, "PackedMatrix: gradient \(dy.shape) for a weight [\(n), \(k)]")
        let rows = dy.count / max(n, 1)
        var dx = Tensor(zeros: Array(dy.shape.dropLast()) + [k])
        if rows == 0 || k == 0 { return dx }
        dy.withUnsafeBufferPointer { g in panels.withUnsafeBufferPointer { p in dx.withUnsafeMutableBufferPointer { o in
            for panel in 0..<(n + width - 1) / width {
                let first = panel * width
                BLAS.sgemm(transB: true, m: rows, n: k, k: min(width, n - first), a: g.baseAddress! + first, lda: n,
                           b: p.baseAddress! + panel * k * width, ldb: width, beta: 1, c: o.baseAddress!, ldc: k)
            }
        } } }
        return dx
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
        // rows in blocks whose A stays in L2 while every panel passes over it (IR-SE50's strided
        // layers: 3136 patch rows, 4 panels); few rows are one block, split by panels alone
        let blocks = max(1, min((rows + TileProduct.wideRows - 1) / TileProduct.wideRows, rows * k * 4 / Self.rowBlockBytes))
        let blockRows = ((rows + blocks - 1) / blocks + TileProduct.wideRows - 1) / TileProduct.wideRows * TileProduct.wideRows
        // items are pairs of panels, the AVX-512 tile's width
        let panelCount = (n + width - 1) / width, pairs = (panelCount + 1) / 2
        panels.withUnsafeBufferPointer { pp in
            let ps = ReadPointer(pp.baseAddress!)
            Parallel.for(blocks * pairs, costPerItem: 4 * blockRows * k * width) { range in
                var item = range.lowerBound
                while item < range.upperBound {
                    let (block, q0) = (item / pairs, item % pairs), q1 = min(pairs, q0 + range.upperBound - item)
                    let (p0, p1) = (2 * q0, min(panelCount, 2 * q1))
                    let r0 = min(rows, block * blockRows), r = min(blockRows, rows - r0), out = cs.p + r0 * n
                    // elementwise, so applying it per panel gives the bytes of one pass over c
                    let finish: ((Range<Int>) -> Void)? = switch activation {
                    case .none: nil
                    case .quickGELU: { cols in
                        for i in 0..<r { VectorMath.xSigmoid(out + i * n + cols.lowerBound, count: cols.count, a: QuickGELU.a) }
                    }
                    }
                    TileProduct.run(a: xs.p + r0 * k, lda: k, rows: r, k: k, b: ps.p, ldb: width, panelStride: k * width, cols: n,
                                    panels: p0..<p1, alpha: alpha, bias: bs?.p, c: out, ldc: n, finish: finish)
                    item += q1 - q0
                }
            }
        }
    }

    /// Bytes of x per row block (half the L2 of the development machine's cores).
    static let rowBlockBytes = 1 << 20
}
