import Tensors

/// Squeeze-and-excitation gate `SEModule(channels, 16)`: `x * sigmoid(fc2(relu(fc1(avgpool(x)))))`
/// with fc1, fc2 bias-free 1x1 convs, i.e. two small matrix products on the [N, C] means.
public struct SEModule: Sendable {
    public let fc1: Tensor      // fc1.weight [C/16, C, 1, 1], kept as [C/16, C]
    public let fc2: Tensor      // fc2.weight [C, C/16, 1, 1], kept as [C, C/16]

    public init(_ r: WeightReader, _ key: String, channels c: Int, reduced m: Int) {
        fc1 = r.tensor("\(key).fc1.weight", [m, c, 1, 1]).reshaped([m, c])
        fc2 = r.tensor("\(key).fc2.weight", [c, m, 1, 1]).reshaped([c, m])
    }

    /// Gates x [N, C, H, W]: the gradient reaches x both directly and through the gate.
    func callAsFunction(_ x: consuming Var) -> Var {
        let h = ReLU.forward(Linear.forward(Pool.globalAverage(x), weight: Var(fc1), bias: nil))
        let g = Sigmoid.forward(Linear.forward(h, weight: Var(fc2), bias: nil))
        return Elementwise.scalePlanes(consume x, by: g)
    }
}
