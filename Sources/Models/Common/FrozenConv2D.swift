import Tensors

extension Conv2D {
    /// Differentiable `forward` with respect to the input only: the weight and bias of a frozen
    /// network are constants and get no gradient buffers. The backward is `inputGradient`.
    func forward(_ x: Var, frozenWeight weight: Tensor, bias: Tensor? = nil) -> Var {
        taped(forward(x.value, weight: weight, bias: bias), x) { dy in
            x.accumulate(inputGradient(dy, weight: weight, inputShape: x.shape))
        }
    }
}
