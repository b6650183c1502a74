/// Row views of tensors written out contiguously: the middle axis of W+ codes [B, L, D] (style
/// rows), and the rows of feature matrices [J, E].
extension Tensor {
    /// x[:, range, :] of a [B, L, D] tensor.
    public func rows(_ range: Range<Int>) -> Tensor {
        let (b, l, d) = (shape[0], shape[1], shape[2]), n = range.count
        return withUnsafeBufferPointer { src in
            Tensor(shape: [b, n, d]) { out in
                for i in 0..<b { (out.baseAddress! + i * n * d).update(from: src.baseAddress! + (i * l + range.lowerBound) * d, count: n * d) }
            }
        }
    }

    /// x[:, range, :] = part.
    public mutating func setRows(_ range: Range<Int>, _ part: Tensor) {
        let (b, l, d) = (shape[0], shape[1], shape[2]), n = range.count
        withUnsafeMutableBufferPointer { dst in
            part.withUnsafeBufferPointer { src in
                for i in 0..<b { (dst.baseAddress! + (i * l + range.lowerBound) * d).update(from: src.baseAddress! + i * n * d, count: n * d) }
            }
        }
    }

    /// cat([self, other], dim=-1) for [..., Da] and [..., Db].
    public func concatenatingLastAxis(_ other: Tensor) -> Tensor {
        let da = shape.last!, db = other.shape.last!, n = count / da
        return withUnsafeBufferPointer { ap in
            other.withUnsafeBufferPointer { bp in
                Tensor(shape: Array(shape.dropLast()) + [da + db]) { out in
                    for r in 0..<n {
                        (out.baseAddress! + r * (da + db)).update(from: ap.baseAddress! + r * da, count: da)
                        (out.baseAddress! + r * (da + db) + da).update(from: bp.baseAddress! + r * db, count: db)
                    }
                }
            }
        }
    }

    /// Mean of the rows of [J, E] as [1, E].
    public func meanRows() -> Tensor {
        let (j, e) = (shape[0], shape[1]), v = scalars
        var m = [Float](repeating: 0, count: e)
        for r in 0..<j { for k in 0..<e { m[k] += v[r * e + k] } }
        return Tensor(shape: [1, e], values: m.map { $0 / Float(j) })
    }

    /// [1, E] repeated to [n, E].
    public func broadcastRows(_ n: Int) -> Tensor {
        let v = scalars
        return Tensor(shape: [n, v.count]) { out in for r in 0..<n { for k in 0..<v.count { out[r * v.count + k] = v[k] } } }
    }
}
