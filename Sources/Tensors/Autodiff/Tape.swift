/// Reverse-mode autodiff. A `Var` is a tensor in a computation; one made by `tape.parameter`
/// (or computed from one) belongs to the tape and collects a gradient. Ops on `Var`s compute
/// their forward value with the same kernels as inference and, when an input belongs to a
/// tape, append their backward step (written beside the forward, llm.c style) to it. With no
/// tape involved nothing is recorded, so inference through the same model code costs nothing
/// extra. Frozen networks keep plain `Tensor` weights: they pass gradients to their inputs and
/// hold no gradient buffers of their own.
public final class Var: @unchecked Sendable {
    public let value: Tensor
    /// d(loss)/d(value) after `Tape.backward`, nil when nothing flowed here.
    public internal(set) var grad: Tensor?
    public let tape: Tape?

    public init(_ value: Tensor, tape: Tape? = nil) { self.value = value; self.tape = tape }

    public var shape: [Int] { value.shape }
    public var needsGrad: Bool { tape != nil }

    /// Adds `g` into this variable's gradient.
    public func accumulate(_ g: Tensor) {
        precondition(g.shape == value.shape || g.count == value.count, "gradient \(g.shape) for value \(value.shape)")
        guard var acc = grad else { grad = g.shape == value.shape ? g : g.reshaped(value.shape); return }
        grad = nil   // `acc` is now the only reference: add in place instead of copying the buffer
        acc.withUnsafeMutableBufferPointer { a in g.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } } }
        grad = acc
    }
}

public final class Tape: @unchecked Sendable {
    private var steps: [() -> Void] = []

    public init() {}

    /// A leaf whose gradient the caller wants.
    public func parameter(_ t: Tensor) -> Var { Var(t, tape: self) }

    /// The tape shared by `inputs`, if any (ops combine constants with taped values).
    public static func of(_ inputs: Var?...) -> Tape? {
        for v in inputs { if let t = v?.tape { return t } }
        return nil
    }

    /// Records a backward step: `step(dOut)` runs with the output's gradient when one exists.
    public func record(_ out: Var, _ step: @escaping (Tensor) -> Void) {
        steps.append { [unowned out] in if let g = out.grad { step(g) } }
        retained.append(out)
    }
    private var retained: [Var] = []

    /// Seeds d(loss)/d(loss) = 1 (or `seed`) and runs every recorded step in reverse.
    public func backward(_ loss: Var, seed: Tensor? = nil) {
        loss.accumulate(seed ?? Tensor(repeating: 1, shape: loss.shape))
        for s in steps.reversed() { s() }
        steps.removeAll()
        retained.removeAll()
    }

    public var recordedSteps: Int { steps.count }
}

/// Builds an op's output and records its backward when an input is taped.
public func taped(_ value: Tensor, _ inputs: Var?..., backward: @escaping (Tensor) -> Void) -> Var {
    var tape: Tape? = nil
    for v in inputs { if let t = v?.tape { tape = t; break } }
    let out = Var(value, tape: tape)
    tape?.record(out, backward)
    return out
}
