/// Differentiable elementwise and shape ops on `Var` (forward beside backward).
public enum Diff {
    /// a + b; with no tape, into a's value when a is its caller's last reference.
    public static func add(_ a: consuming Var, _ b: Var) -> Var {
        precondition(a.shape == b.shape, "add: \(a.shape) + \(b.shape)")
        if b.tape == nil, let y = Var.inPlace(&a, { Elementwise.addInPlace(&$0, b.value) }) { return y }
        let a = copy a
        return taped(zip2(a.value, b.value, +), a, b) { g in
            if a.needsGrad { a.accumulate(g) }
            if b.needsGrad { b.accumulate(g) }
        }
    }

    public static func sub(_ a: Var, _ b: Var) -> Var {
        precondition(a.shape == b.shape, "sub: \(a.shape) - \(b.shape)")
        return taped(zip2(a.value, b.value, -), a, b) { g in
            if a.needsGrad { a.accumulate(g) }
            if b.needsGrad { b.accumulate(map(g) { -$0 }) }
        }
    }

    /// a * s + b (elementwise scalars).
    public static func affine(_ a: Var, scale s: Float, shift b: Float = 0) -> Var {
        taped(map(a.value) { $0 * s + b }, a) { g in a.accumulate(map(g) { $0 * s }) }
    }

    public static func reshape(_ a: Var, _ shape: [Int]) -> Var {
        taped(a.value.reshaped(shape), a) { g in a.accumulate(g.reshaped(a.shape)) }
    }

    /// x[..., range, ...] along `axis`.
    public static func slice(_ a: Var, axis: Int = 0, _ range: Range<Int>) -> Var {
        taped(a.value.slice(axis: axis, range), a) { g in
            var full = Tensor(zeros: a.shape)
            full.setSlice(axis: axis, range, g)
            a.accumulate(full)
        }
    }

    /// Concatenation along `axis` (`torch.cat(parts, dim=axis)`).
    public static func concatenate(_ parts: [Var], axis: Int = 0) -> Var {
        let value = Tensor.concatenate(parts.map(\.value), axis: axis)
        let a = axis < 0 ? value.rank + axis : axis
        var tape: Tape? = nil
        for p in parts { if let t = p.tape { tape = t; break } }
        let out = Var(value, tape: tape)
        tape?.record(out) { g in
            var at = 0
            for p in parts {
                let n = p.shape[a]
                if p.needsGrad { p.accumulate(g.slice(axis: a, at..<(at + n))) }
                at += n
            }
        }
        return out
    }

    /// sum of all elements (a scalar []).
    public static func sum(_ a: Var) -> Var {
        let s = a.value.withUnsafeBufferPointer { p in p.reduce(Float(0), +) }
        return taped(Tensor(shape: [], values: [s]), a) { g in a.accumulate(Tensor(repeating: g[flat: 0], shape: a.shape)) }
    }

    /// mean((a - b)^2) over every element, a scalar.
    public static func meanSquaredError(_ a: Var, _ b: Var) -> Var {
        let n = Float(max(a.value.count, 1))
        let d = zip2(a.value, b.value, -)
        let v = d.withUnsafeBufferPointer { p in p.reduce(Double(0)) { $0 + Double($1 * $1) } }
        return taped(Tensor(shape: [], values: [Float(v / Double(n))]), a, b) { g in
            let k = 2 * g[flat: 0] / n
            if a.needsGrad { a.accumulate(map(d) { $0 * k }) }
            if b.needsGrad { b.accumulate(map(d) { -$0 * k }) }
        }
    }

    /// Weighted sum of scalars: sum_i w_i * x_i.
    public static func weightedSum(_ terms: [(Float, Var)]) -> Var {
        let v = terms.reduce(Float(0)) { $0 + $1.0 * $1.1.value[flat: 0] }
        var tape: Tape? = nil
        for t in terms { if let tp = t.1.tape { tape = tp; break } }
        let out = Var(Tensor(shape: [], values: [v]), tape: tape)
        tape?.record(out) { g in for (w, x) in terms where x.needsGrad { x.accumulate(Tensor(shape: x.shape, values: [w * g[flat: 0]])) } }
        return out
    }

    static func map(_ t: Tensor, _ f: (Float) -> Float) -> Tensor {
        var out = t
        out.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = f(p[i]) } }
        return out
    }

    static func zip2(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        var out = a
        out.withUnsafeMutableBufferPointer { o in b.withUnsafeBufferPointer { bp in for i in 0..<o.count { o[i] = f(o[i], bp[i]) } } }
        return out
    }
}
