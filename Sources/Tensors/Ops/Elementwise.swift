/// Elementwise arithmetic between whole tensors and per-channel broadcasts.
public enum Elementwise {
    /// y = a + b over `count` values (y may alias a or b).
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let ap = ReadPointer(a), bp = ReadPointer(b)
        let yp = SendablePointer(y)
        Parallel.for(count, costPerItem: 1) { range in
            for i in range { yp.p[i] = ap.p[i] + bp.p[i] }
        }
    }

    /// x += other (same shape): a residual connection.
    public static func addInPlace(_ x: inout Tensor, _ other: Tensor) {
        precondition(x.shape == other.shape, "add: \(x.shape) and \(other.shape)")
        x.withUnsafeMutableBufferPointer { p in
            other.withUnsafeBufferPointer { q in
                if p.count > 0 { add(p.baseAddress!, q.baseAddress!, p.baseAddress!, count: p.count) }
            }
        }
    }

    /// y[n, c, i] = x[n, c, i] * s[n, c]: a gate per sample and channel (squeeze-excitation).
    public static func scalePlanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, inner: Int,
                                   scale: UnsafePointer<Float>) {
        let xs = ReadPointer(x), ys = SendablePointer(y)
        let s = ReadPointer(scale)
        Parallel.for(planes, costPerItem: inner) { range in
            for p in range {
                let g = s.p[p], src = xs.p + p * inner, dst = ys.p + p * inner
                for i in 0..<inner { dst[i] = src[i] * g }
            }
        }
    }

    /// x [N, C, ...] scaled by s [N, C] in place.
    public static func scalePlanesInPlace(_ x: inout Tensor, by s: Tensor) {
        let planes = x.shape[0] * x.shape[1]
        precondition(s.count == planes, "scale planes: \(s.shape) for \(x.shape)")
        let inner = x.count / max(planes, 1)
        x.withUnsafeMutableBufferPointer { p in
            s.withUnsafeBufferPointer { q in
                if p.count > 0 { scalePlanes(p.baseAddress!, p.baseAddress!, planes: planes, inner: inner, scale: q.baseAddress!) }
            }
        }
    }
}

extension Elementwise {
    /// Differentiable `scalePlanesInPlace` in both operands: y = x * s[n, c];
    /// dx = dy * s[n, c] (the same kernel), ds[n, c] = sum over the plane of dy * x.
    public static func scalePlanes(_ x: consuming Var, by s: Var) -> Var {
        if s.tape == nil, let y = Var.inPlace(&x, { scalePlanesInPlace(&$0, by: s.value) }) { return y }
        let x = copy x
        var y = x.value
        scalePlanesInPlace(&y, by: s.value)
        return taped(y, x, s) { dy in
            if x.needsGrad {
                var dx = dy
                scalePlanesInPlace(&dx, by: s.value)
                x.accumulate(dx)
            }
            if s.needsGrad {
                let planes = s.value.count, inner = x.value.count / max(planes, 1)
                var ds = [Float](repeating: 0, count: planes)
                dy.withUnsafeBufferPointer { g in
                    x.value.withUnsafeBufferPointer { xp in
                        for p in 0..<planes {
                            var acc: Float = 0
                            for i in (p * inner)..<((p + 1) * inner) { acc += g[i] * xp[i] }
                            ds[p] = acc
                        }
                    }
                }
                s.accumulate(Tensor(shape: s.shape, values: ds))
            }
        }
    }
}

extension Tensor {
    /// a + b (same shape).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        var out = a
        Elementwise.addInPlace(&out, b)
        return out
    }

    /// a - b (same shape).
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "subtract: \(a.shape) - \(b.shape)")
        var out = a
        out.withUnsafeMutableBufferPointer { o in b.withUnsafeBufferPointer { bp in for i in 0..<o.count { o[i] -= bp[i] } } }
        return out
    }

    /// Every value times `s`.
    public func scaled(by s: Float) -> Tensor {
        var r = self
        r.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= s } }
        return r
    }
}
