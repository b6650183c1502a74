/// Row helpers for matrices: transposes and the rows of feature matrices [J, E].
extension Tensor {
    /// The transpose of an [n, m] matrix.
    public func transposed() -> Tensor {
        let (n, m) = (shape[0], shape[1]), v = scalars
        return Tensor(shape: [m, n]) { o in for i in 0..<n { for j in 0..<m { o[j * n + i] = v[i * m + j] } } }
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
