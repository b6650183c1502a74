import Tensors

extension Conv2D {
    /// Differentiable `forward` with respect to the input only: the weight and bias of a frozen
    /// network are constants and get no gradient buffers. The backward is `inputGradient`.
    func forward(_ x: Var, frozenWeight weight: Tensor, bias: Tensor? = nil) -> Var {
        taped(forward(x.value, weight: weight, bias: bias), x) { dy in
            x.accumulate(inputGradient(dy, weight: weight, inputShape: x.shape))
        }
    }

    /// The same for a 3x3, stride 1, padding 1 conv with `winograd` = `Winograd.pack(weight)`
    /// made at load: planes of `Winograd.minimumSide` and up run F(2x2, 3x3), 2.25x fewer
    /// multiplications; the input gradient stays the direct convolution's.
    func forward(_ x: Var, frozenWeight weight: Tensor, winograd: Tensor?) -> Var {
        guard let packed = winograd, stride == 1, padding == 1, min(x.shape[2], x.shape[3]) >= Winograd.minimumSide else {
            return forward(x, frozenWeight: weight)
        }
        return taped(Winograd.forward(x.value, packed: packed), x) { dy in
            x.accumulate(inputGradient(dy, weight: weight, inputShape: x.shape))
        }
    }

    /// The same with the point weights packed at load (`WinogradRows`, planes of few tiles).
    func forward(_ x: Var, frozenWeight weight: Tensor, points: WinogradRows) -> Var {
        guard stride == 1, padding == 1, WinogradRows.applies(cin: x.shape[1], cout: points.outChannels, h: x.shape[2], w: x.shape[3]) else {
            return forward(x, frozenWeight: weight)
        }
        return taped(points.forward(x.value), x) { dy in
            x.accumulate(inputGradient(dy, weight: weight, inputShape: x.shape))
        }
    }

    /// The same with `rows` = `Conv2D.patchRowWeight(weight)` (Conv2D.forward(_:packed:kernel:),
    /// strided layers and outputs of few pixels); the input gradient is the direct one.
    func forward(_ x: Var, frozenWeight weight: Tensor, rows: PackedMatrix) -> Var {
        taped(forward(x.value, packed: rows, kernel: (weight.shape[2], weight.shape[3])), x) { dy in
            x.accumulate(inputGradient(dy, weight: weight, inputShape: x.shape))
        }
    }
}
