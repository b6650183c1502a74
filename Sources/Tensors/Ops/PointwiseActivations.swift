import Foundation

/// `max(0, x)`.
public enum ReLU {
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let xs = ReadPointer(x), ys = SendablePointer(y)
        Parallel.for(count, costPerItem: 1) { range in
            for i in range { ys.p[i] = max(xs.p[i], 0) }
        }
    }

    public static func forwardInPlace(_ x: inout Tensor) {
        x.withUnsafeMutableBufferPointer { p in
            if p.count > 0 { forward(p.baseAddress!, p.baseAddress!, count: p.count) }
        }
    }
}

/// PyTorch `PReLU(num_parameters = C)`: `max(0, x) + a[c] * min(0, x)` with one slope per
/// channel of an [N, C, ...] tensor.
public enum PReLU {
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                               inner: Int, slope: UnsafePointer<Float>) {
        let xs = ReadPointer(x), ys = SendablePointer(y)
        let a = ReadPointer(slope)
        Parallel.for(batch * channels, costPerItem: inner * 2) { planes in
            for p in planes {
                let s = a.p[p % channels], src = xs.p + p * inner, dst = ys.p + p * inner
                for i in 0..<inner { let v = src[i]; dst[i] = v > 0 ? v : v * s }
            }
        }
    }

    public static func forwardInPlace(_ x: inout Tensor, slope: Tensor) {
        let c = x.shape[1], n = x.shape[0], inner = x.count / max(n * c, 1)
        precondition(slope.count == c, "prelu: \(slope.count) slopes for input \(x.shape)")
        x.withUnsafeMutableBufferPointer { p in
            slope.withUnsafeBufferPointer { a in
                forward(p.baseAddress!, p.baseAddress!, batch: n, channels: c, inner: inner, slope: a.baseAddress!)
            }
        }
    }
}

/// `1 / (1 + exp(-x))`.
public enum Sigmoid {
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = 1 / (1 + expf(-x[i])) }
    }

    public static func forwardInPlace(_ x: inout Tensor) {
        x.withUnsafeMutableBufferPointer { p in
            if p.count > 0 { forward(p.baseAddress!, p.baseAddress!, count: p.count) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension ReLU {
    public static func forward(_ x: Tensor) -> Tensor {
        var y = x
        forwardInPlace(&y)
        return y
    }

    /// dx = dy where the output is positive (the input is, exactly there), else 0.
    public static func backward(_ dy: Tensor, output y: Tensor) -> Tensor {
        var dx = dy
        dx.withUnsafeMutableBufferPointer { g in y.withUnsafeBufferPointer { yp in for i in 0..<g.count where !(yp[i] > 0) { g[i] = 0 } } }
        return dx
    }

    public static func forward(_ x: consuming Var) -> Var {
        if let y = Var.inPlace(&x, { forwardInPlace(&$0) }) { return y }
        let input = x, y = forward(input.value)
        return taped(y, input) { dy in input.accumulate(backward(dy, output: y)) }
    }
}

extension PReLU {
    public static func forward(_ x: Tensor, slope: Tensor) -> Tensor {
        var y = x
        forwardInPlace(&y, slope: slope)
        return y
    }

    /// Input gradient only (the slopes are frozen): dx = dy * (x > 0 ? 1 : a[c]).
    public static func backward(_ dy: Tensor, input x: Tensor, slope: Tensor) -> Tensor {
        let c = x.shape[1], inner = x.count / max(x.shape[0] * c, 1), a = slope.scalars
        var dx = dy
        dx.withUnsafeMutableBufferPointer { g in
            x.withUnsafeBufferPointer { xp in
                for i in 0..<g.count where !(xp[i] > 0) { g[i] *= a[(i / inner) % c] }
            }
        }
        return dx
    }

    public static func forward(_ x: consuming Var, slope: Tensor) -> Var {
        if let y = Var.inPlace(&x, { forwardInPlace(&$0, slope: slope) }) { return y }
        let input = x
        return taped(forward(input.value, slope: slope), input) { dy in input.accumulate(backward(dy, input: input.value, slope: slope)) }
    }
}

extension Sigmoid {
    public static func forward(_ x: Tensor) -> Tensor {
        var y = x
        forwardInPlace(&y)
        return y
    }

    /// dx = dy * y * (1 - y), from the output.
    public static func backward(_ dy: Tensor, output y: Tensor) -> Tensor {
        var dx = dy
        dx.withUnsafeMutableBufferPointer { g in y.withUnsafeBufferPointer { yp in for i in 0..<g.count { g[i] *= yp[i] * (1 - yp[i]) } } }
        return dx
    }

    public static func forward(_ x: consuming Var) -> Var {
        if let y = Var.inPlace(&x, { forwardInPlace(&$0) }) { return y }
        let input = x, y = forward(input.value)
        return taped(y, input) { dy in input.accumulate(backward(dy, output: y)) }
    }
}
