import Foundation

/// torchvision's perspective transform on tensors: a homography from 4 point pairs, sampled
/// with `grid_sample(bilinear, zeros, align_corners=False)`.
public enum Perspective {
    /// The 8 coefficients (a..h) of the homography taking each `from` point to its `to` point:
    /// x' = (a x + b y + c) / (g x + h y + 1), y' = (d x + e y + f) / (g x + h y + 1).
    /// Solved in Double, then rounded to Float, as torchvision's `_get_perspective_coeffs` does.
    public static func homography(from: [(x: Double, y: Double)], to: [(x: Double, y: Double)]) -> [Float] {
        precondition(from.count == 4 && to.count == 4, "a homography needs 4 point pairs")
        var a = [Double](repeating: 0, count: 64), b = [Double](repeating: 0, count: 8)
        for i in 0..<4 {
            let (p1, p2) = (from[i], to[i])
            let r0 = [p1.x, p1.y, 1, 0, 0, 0, -p2.x * p1.x, -p2.x * p1.y]
            let r1 = [0, 0, 0, p1.x, p1.y, 1, -p2.y * p1.x, -p2.y * p1.y]
            for j in 0..<8 { a[2 * i * 8 + j] = r0[j]; a[(2 * i + 1) * 8 + j] = r1[j] }
            b[2 * i] = p2.x; b[2 * i + 1] = p2.y
        }
        return solve8(a, b).map { Float($0) }
    }

    /// Coefficients for `perspective(img, startpoints, endpoints)`: the content at the start
    /// points moves to the end points, so each OUTPUT pixel samples the input through the
    /// homography from end points to start points.
    public static func samplingCoefficients(startpoints: [(x: Double, y: Double)], endpoints: [(x: Double, y: Double)]) -> [Float] {
        homography(from: endpoints, to: startpoints)
    }

    /// Gaussian elimination with partial pivoting (the system is square and well posed for
    /// any non-degenerate quadrilateral, where least squares gives the same solution).
    static func solve8(_ a0: [Double], _ b0: [Double]) -> [Double] {
        var a = a0, b = b0
        let n = 8
        for col in 0..<n {
            var piv = col
            for r in (col + 1)..<n where abs(a[r * n + col]) > abs(a[piv * n + col]) { piv = r }
            if piv != col {
                for j in 0..<n { a.swapAt(col * n + j, piv * n + j) }
                b.swapAt(col, piv)
            }
            let d = a[col * n + col]
            if d == 0 { continue }
            for r in (col + 1)..<n {
                let f = a[r * n + col] / d
                if f == 0 { continue }
                for j in col..<n { a[r * n + j] -= f * a[col * n + j] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for j in (r + 1)..<n { s -= a[r * n + j] * x[j] }
            x[r] = a[r * n + r] == 0 ? 0 : s / a[r * n + r]
        }
        return x
    }

    /// Warps every image of [N, C, H, W] with one homography. `fill == nil` is plain zero
    /// padding (torchvision 0.8); with a fill, a ones-mask is warped too and
    /// `out = warped * mask + (1 - mask) * fill[c]` (torchvision >= 0.9).
    public static func warp(_ x: Tensor, coefficients c: [Float], fill: [Float]?) -> Tensor {
        precondition(x.rank == 4 && c.count == 8)
        let (n, ch, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let grid = samplingGrid(coefficients: c, width: w, height: h)
        var out = Tensor(uninitialized: x.shape)
        let fills: [Float]? = fill.map { f in (0..<ch).map { f.count == 1 ? f[0] : f[$0] } }
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = ReadPointer(src.baseAddress!)
                let d = SendablePointer(dst.baseAddress!)
                Parallel.for(h, costPerItem: w * n * ch * 8) { rows in
                    for y in rows {
                        for xo in 0..<w {
                            let g = grid[y * w + xo]
                            // mask = the same bilinear weights applied to an all-ones image
                            let mask = g.weights.0 + g.weights.1 + g.weights.2 + g.weights.3
                            for p in 0..<(n * ch) {
                                let plane = s.p + p * h * w
                                var v: Float = 0
                                if g.weights.0 != 0 { v += plane[g.offsets.0] * g.weights.0 }
                                if g.weights.1 != 0 { v += plane[g.offsets.1] * g.weights.1 }
                                if g.weights.2 != 0 { v += plane[g.offsets.2] * g.weights.2 }
                                if g.weights.3 != 0 { v += plane[g.offsets.3] * g.weights.3 }
                                if let f = fills { v = v * mask + (1 - mask) * f[p % ch] }
                                d.p[p * h * w + y * w + xo] = v
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Bilinear corner offsets and weights per output pixel; out-of-bounds corners get weight 0.
    struct Sample { var offsets: (Int, Int, Int, Int); var weights: (Float, Float, Float, Float) }

    static func samplingGrid(coefficients c: [Float], width w: Int, height h: Int) -> [Sample] {
        // torchvision's _perspective_grid, in float32: theta1 columns divided by (0.5*w, 0.5*h).
        let hw = 0.5 * Float(w), hh = 0.5 * Float(h)
        let ax = c[0] / hw, bx = c[1] / hw, cx = c[2] / hw
        let ay = c[3] / hh, by = c[4] / hh, cy = c[5] / hh
        var grid = [Sample](repeating: Sample(offsets: (0, 0, 0, 0), weights: (0, 0, 0, 0)), count: w * h)
        grid.withUnsafeMutableBufferPointer { gp in
            let out = SendablePointer(gp.baseAddress!)
            Parallel.for(h, costPerItem: w * 40) { rows in
                for y in rows {
                    let py = Float(y) + 0.5
                    for x in 0..<w {
                        let px = Float(x) + 0.5
                        let den = px * c[6] + py * c[7] + 1
                        let gx = (px * ax + py * bx + cx) / den - 1
                        let gy = (px * ay + py * by + cy) / den - 1
                        // grid_sample unnormalisation, align_corners=False
                        let ix = ((gx + 1) * Float(w) - 1) / 2
                        let iy = ((gy + 1) * Float(h) - 1) / 2
                        let x0 = ix.rounded(.down), y0 = iy.rounded(.down)
                        let tx = ix - x0, ty = iy - y0
                        let xi = Int(exactly: x0) ?? Int.min / 2, yi = Int(exactly: y0) ?? Int.min / 2
                        var s = Sample(offsets: (0, 0, 0, 0), weights: (0, 0, 0, 0))
                        func corner(_ cx: Int, _ cy: Int, _ wt: Float) -> (Int, Float) {
                            (cx >= 0 && cx < w && cy >= 0 && cy < h) ? (cy * w + cx, wt) : (0, 0)
                        }
                        (s.offsets.0, s.weights.0) = corner(xi, yi, (1 - tx) * (1 - ty))
                        (s.offsets.1, s.weights.1) = corner(xi + 1, yi, tx * (1 - ty))
                        (s.offsets.2, s.weights.2) = corner(xi, yi + 1, (1 - tx) * ty)
                        (s.offsets.3, s.weights.3) = corner(xi + 1, yi + 1, tx * ty)
                        out.p[y * w + x] = s
                    }
                }
            }
        }
        return grid
    }
}

extension Perspective {
    /// Differentiable `warp`: each output gradient flows to the four corners it sampled, weighted
    /// by the bilinear weights (times the mask when a fill blends it: d(v*m)/dx = w*m).
    public static func warp(_ x: Var, coefficients c: [Float], fill: [Float]?) -> Var {
        let y = warp(x.value, coefficients: c, fill: fill)
        return taped(y, x) { dy in
            let (n, ch, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let grid = samplingGrid(coefficients: c, width: w, height: h)
            var dx = Tensor(zeros: x.shape)
            dy.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { xp in
                    let gs = ReadPointer(gp.baseAddress!), ds = SendablePointer(xp.baseAddress!)
                    // planes are independent: each scatters only into its own gradient plane
                    Parallel.for(n * ch, costPerItem: h * w * 12) { planes in for p in planes {
                        let g = gs.p + p * h * w, d = ds.p + p * h * w
                        for i in 0..<(h * w) {
                            let s = grid[i]
                            let mask = fill == nil ? 1 : s.weights.0 + s.weights.1 + s.weights.2 + s.weights.3
                            let v = g[i] * mask
                            d[s.offsets.0] += v * s.weights.0; d[s.offsets.1] += v * s.weights.1
                            d[s.offsets.2] += v * s.weights.2; d[s.offsets.3] += v * s.weights.3
                        }
                    } }
                }
            }
            x.accumulate(dx)
        }
    }
}
