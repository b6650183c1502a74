import Foundation
import Tensors

/// Per-parameter optimiser state, by parameter name, saved with the training state so a resumed
/// run continues bit for bit.
public protocol Optimizer {
    var step: Int { get }
    /// Updates `params` in place from `grads` (same names and shapes).
    mutating func update(_ params: inout [(String, Tensor)], grads: [(String, Tensor)])
    /// The state as named tensors and scalars (for checkpoints), and its restoration.
    var state: [String: Tensor] { get }
    mutating func restore(_ state: [String: Tensor], step: Int) throws
}

/// Adam as torch.optim.Adam computes it (no weight decay, the single-tensor CPU path): bias
/// corrections in double, `p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)`. Each parameter
/// counts its own steps, as torch's per-parameter `state['step']` does: a parameter left out
/// of an update (no gradient that step: StyleGAN-NADA's unchosen layers) is neither moved nor
/// has its moments decayed, and its bias correction continues from its own count.
public struct Adam: Optimizer, Sendable {
    public var lr: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
    /// Updates made (calls of `update`).
    public private(set) var step = 0
    var m: [String: Tensor] = [:], v: [String: Tensor] = [:]
    var steps: [String: Int] = [:]

    public init(lr: Float, beta1: Float = 0.9, beta2: Float = 0.999) { self.lr = lr; self.beta1 = beta1; self.beta2 = beta2 }

    /// Steps taken by the parameter `name`.
    public func steps(of name: String) -> Int { steps[name] ?? 0 }

    public mutating func update(_ params: inout [(String, Tensor)], grads: [(String, Tensor)]) {
        step += 1
        for i in params.indices {
            let (name, g) = (params[i].0, grads[i].1)
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            let bc1 = 1 - pow(Double(beta1), Double(t)), bc2 = 1 - pow(Double(beta2), Double(t))
            let stepSize = Float(Double(lr) / bc1), bc2Root = Float(bc2.squareRoot())
            var mi = m[name] ?? Tensor(zeros: g.shape), vi = v[name] ?? Tensor(zeros: g.shape)
            let (b1, b2, eps) = (beta1, beta2, eps)
            g.withUnsafeBufferPointer { gp in
                mi.withUnsafeMutableBufferPointer { mp in
                    vi.withUnsafeMutableBufferPointer { vp in
                        params[i].1.withUnsafeMutableBufferPointer { pp in
                            for k in 0..<pp.count {
                                // beta1 = 0 leaves m = g exactly, as torch's lerp(m, g, 1) does
                                mp[k] = b1 == 0 ? gp[k] : b1 * mp[k] + (1 - b1) * gp[k]
                                vp[k] = b2 * vp[k] + (1 - b2) * gp[k] * gp[k]
                                pp[k] += -stepSize * mp[k] / (vp[k].squareRoot() / bc2Root + eps)
                            }
                        }
                    }
                }
            }
            m[name] = mi; v[name] = vi
        }
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        for (k, t) in m { s["exp_avg." + k] = t }
        for (k, t) in v { s["exp_avg_sq." + k] = t }
        for (k, n) in steps { s["step." + k] = Tensor(shape: [1], values: [Float(n)]) }
        return s
    }

    /// A state saved before per-parameter counts existed gives every parameter `step`.
    public mutating func restore(_ state: [String: Tensor], step: Int) throws {
        self.step = step
        m = [:]; v = [:]; steps = [:]
        for (k, t) in state {
            if k.hasPrefix("exp_avg_sq.") { v[String(k.dropFirst("exp_avg_sq.".count))] = t }
            else if k.hasPrefix("exp_avg.") { m[String(k.dropFirst("exp_avg.".count))] = t }
            else if k.hasPrefix("step.") { steps[String(k.dropFirst("step.".count))] = Int(t[flat: 0]) }
        }
        for k in m.keys where steps[k] == nil { steps[k] = step }
    }
}

/// Ranger 20.4.11 as CF-CLIP / StyleCLIP / pSp use it: RAdam (betas 0.95, 0.999; eps 1e-5;
/// SGD-momentum warm-up while the variance estimate is unreliable) with gradient centralisation
/// of every weight (dim > 1) and Lookahead (alpha 0.5, k 6).
public struct Ranger: Optimizer {
    public var lr: Float, beta1: Float = 0.95, beta2: Float = 0.999, eps: Float = 1e-5
    public var alpha: Float = 0.5, k = 6, nSmaThreshold: Float = 5
    public private(set) var step = 0
    var m: [String: Tensor] = [:], v: [String: Tensor] = [:], slow: [String: Tensor] = [:]

    public init(lr: Float) { self.lr = lr }

    public mutating func update(_ params: inout [(String, Tensor)], grads: [(String, Tensor)]) {
        step += 1
        let t = Float(step)
        let b2t = powf(beta2, t)
        let rhoInf = 2 / (1 - beta2) - 1
        let rhoT = rhoInf - 2 * t * b2t / (1 - b2t)
        let bc1 = 1 - powf(beta1, t)
        let rectified = rhoT > nSmaThreshold
        let stepSize: Float = rectified
            ? ((1 - b2t) * (rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)).squareRoot() / bc1
            : 1 / bc1
        for i in params.indices {
            let name = params[i].0
            var g = grads[i].1
            if g.rank > 1 { centralise(&g) }
            if slow[name] == nil { slow[name] = params[i].1 }   // Lookahead's slow copy starts at p
            var mi = m[name] ?? Tensor(zeros: g.shape), vi = v[name] ?? Tensor(zeros: g.shape)
            let (b1, b2, lr, eps) = (beta1, beta2, lr, eps)
            g.withUnsafeBufferPointer { gp in
                mi.withUnsafeMutableBufferPointer { mp in
                    vi.withUnsafeMutableBufferPointer { vp in
                        params[i].1.withUnsafeMutableBufferPointer { pp in
                            for j in 0..<pp.count {
                                vp[j] = b2 * vp[j] + (1 - b2) * gp[j] * gp[j]
                                mp[j] = b1 * mp[j] + (1 - b1) * gp[j]
                                pp[j] -= rectified ? lr * stepSize * mp[j] / (vp[j].squareRoot() + eps) : lr * stepSize * mp[j]
                            }
                        }
                    }
                }
            }
            m[name] = mi; v[name] = vi
            if step % k == 0 {
                var s = slow[name]!
                let a = alpha
                s.withUnsafeMutableBufferPointer { sp in
                    params[i].1.withUnsafeMutableBufferPointer { pp in
                        for j in 0..<pp.count { sp[j] += a * (pp[j] - sp[j]); pp[j] = sp[j] }
                    }
                }
                slow[name] = s
            }
        }
    }

    /// g <- g - mean(g over every axis but the first).
    func centralise(_ g: inout Tensor) {
        let rows = g.shape[0], inner = g.count / max(rows, 1)
        g.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                var s: Float = 0
                for j in 0..<inner { s += p[r * inner + j] }
                let mean = s / Float(inner)
                for j in 0..<inner { p[r * inner + j] -= mean }
            }
        }
    }

    public var state: [String: Tensor] {
        var s: [String: Tensor] = [:]
        for (n, t) in m { s["exp_avg." + n] = t }
        for (n, t) in v { s["exp_avg_sq." + n] = t }
        for (n, t) in slow { s["slow_buffer." + n] = t }
        return s
    }

    public mutating func restore(_ state: [String: Tensor], step: Int) throws {
        self.step = step
        m = [:]; v = [:]; slow = [:]
        for (key, t) in state {
            for (prefix, apply) in [("exp_avg_sq.", 1), ("exp_avg.", 0), ("slow_buffer.", 2)] where key.hasPrefix(prefix) {
                let n = String(key.dropFirst(prefix.count))
                switch apply { case 0: m[n] = t; case 1: v[n] = t; default: slow[n] = t }
                break
            }
        }
    }
}
