import Tensors

/// StyleGAN2's equalised-learning-rate linear layer: stored `weight` [out, in] is used as
/// `weight * lr_mul / sqrt(in)`, stored `bias` as `bias * lr_mul`; with `activate`, the bias is
/// added inside the fused leaky ReLU (`sqrt(2) * lrelu(x W^T + b, 0.2)`).
public struct EqualLinear: Sendable {
    public var weight: Tensor       // weight [out, in]
    public var bias: Tensor?        // bias [out]
    public var lrMul: Float
    public var activate: Bool
    /// The checkpoint prefix of this layer (`mapper.fc`, `style.3`), so a training run can bind
    /// its weight and bias to tape parameters by name.
    public var key: String = ""

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }
    public var scale: Float { lrMul / Float(inFeatures).squareRoot() }

    public init(weight: Tensor, bias: Tensor?, lrMul: Float = 1, activate: Bool = false) {
        self.weight = weight; self.bias = bias; self.lrMul = lrMul; self.activate = activate
    }

    public init(_ r: WeightReader, _ key: String, in inF: Int, out outF: Int, lrMul: Float = 1, activate: Bool = false, bias: Bool = true) {
        weight = r.tensor("\(key).weight", [outF, inF])
        self.bias = bias ? r.tensor("\(key).bias", [outF]) : nil
        self.lrMul = lrMul; self.activate = activate
        self.key = key
    }

    /// x [.., in] -> [.., out]
    public func callAsFunction(_ x: Tensor) -> Tensor { self(Var(x)).value }
}

extension EqualLinear {
    /// The layer on `Var`s, its one definition: weight and bias come from `params` when it binds
    /// this layer's names (a network being trained), else they are constants.
    public func callAsFunction(_ x: Var, _ params: Parameters? = nil) -> Var {
        let w = params?["\(key).weight"] ?? Var(weight)
        let b = bias.map { params?["\(key).bias"] ?? Var($0) }
        if activate {
            let y = Linear.forward(x, weight: w, bias: nil, scale: scale)
            let bb = b.map { Diff.affine($0, scale: lrMul) }
            return FusedLeakyReLU.forward(y, bias: bb, axis: y.shape.count - 1)
        }
        return Linear.forward(x, weight: w, bias: b, scale: scale, biasScale: lrMul)
    }
}

/// Trainable parameters bound to a tape by their checkpoint names.
public final class Parameters: @unchecked Sendable {
    public let vars: [String: Var]
    public let names: [String]

    public init(_ named: [(String, Tensor)], tape: Tape) {
        names = named.map(\.0)
        var v: [String: Var] = [:]
        for (k, t) in named { v[k] = tape.parameter(t) }
        vars = v
    }

    /// Binds names to variables that already exist (a test's inputs, another network's outputs).
    public init(binding named: [(String, Var)]) {
        names = named.map(\.0)
        vars = Dictionary(named, uniquingKeysWith: { a, _ in a })
    }

    public subscript(name: String) -> Var? { vars[name] }

    /// Gradients by name (zeros where nothing flowed).
    public var gradients: [(String, Tensor)] {
        names.map { ($0, vars[$0]!.grad ?? Tensor(zeros: vars[$0]!.shape)) }
    }
}
