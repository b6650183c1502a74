import Foundation

/// Reverse-mode autodiff. A `Var` is a tensor in a computation; one made by `tape.parameter`
/// (or computed from one) belongs to the tape and collects a gradient. Ops on `Var`s compute
/// their forward value with the same kernels as inference and, when an input belongs to a
/// tape, append their backward step (written beside the forward, llm.c style) to it. With no
/// tape involved nothing is recorded, so inference through the same model code costs nothing
/// extra. Frozen networks keep plain `Tensor` weights: they pass gradients to their inputs and
/// hold no gradient buffers of their own.
public final class Var: @unchecked Sendable {
    /// Written only by `inPlace`, when no one else can see the `Var`.
    public internal(set) var value: Tensor
    /// d(loss)/d(value) after `Tape.backward`, nil when nothing flowed here.
    public internal(set) var grad: Tensor?
    public let tape: Tape?

    public init(_ value: Tensor, tape: Tape? = nil) { self.value = value; self.tape = tape }

    public var shape: [Int] { value.shape }
    public var needsGrad: Bool { tape != nil }

    /// Keep this intermediate's gradient after the backward (leaves always keep theirs).
    public internal(set) var retainsGrad = false
    @discardableResult public func retainGrad() -> Var { retainsGrad = true; return self }

    /// Adds `g` into this variable's gradient.
    public func accumulate(_ g: Tensor) {
        precondition(g.shape == value.shape || g.count == value.count, "gradient \(g.shape) for value \(value.shape)")
        guard var acc = grad else { grad = g.shape == value.shape ? g : g.reshaped(value.shape); return }
        grad = nil   // `acc` is now the only reference: add in place instead of copying the buffer
        acc.withUnsafeMutableBufferPointer { a in g.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } } }
        grad = acc
    }
}

extension Var {
    /// Runs an elementwise op in place on `x` when nothing can observe it: no tape will replay
    /// the op, and `x` is its caller's last reference (a temporary, or a `consume`d local), so
    /// overwriting its value is what a plain inference path does. Returns nil otherwise, and the
    /// op allocates its output. A hook that kept the old value only makes the tensor copy itself.
    static func inPlace(_ x: inout Var, _ op: (inout Tensor) -> Void) -> Var? {
        guard x.tape == nil, isKnownUniquelyReferenced(&x) else { return nil }
        var v = x.value
        x.value = Tensor(shape: [0], values: [])   // release the storage so `v` holds it alone
        op(&v)
        return Var(v)
    }
}

public final class Tape: @unchecked Sendable {
    /// One recorded backward step: the op's output, its backward, and where it was recorded.
    private struct Step {
        var out: Var
        var run: (Tensor) -> Void
        var site: String
    }
    private var steps: [Step?] = []

    public init() {}

    /// A leaf whose gradient the caller wants.
    public func parameter(_ t: Tensor) -> Var { Var(t, tape: self).retainGrad() }

    /// The tape shared by `inputs`, if any (ops combine constants with taped values).
    public static func of(_ inputs: Var?...) -> Tape? {
        for v in inputs { if let t = v?.tape { return t } }
        return nil
    }

    /// Records a backward step: `step(dOut)` runs with the output's gradient when one exists.
    public func record(_ out: Var, file: StaticString = #fileID, line: UInt = #line, _ step: @escaping (Tensor) -> Void) {
        steps.append(Step(out: out, run: step, site: Profiler.enabled ? "\(file):\(line)" : ""))
    }

    /// Seeds d(loss)/d(loss) = 1 (or `seed`) and runs every recorded step in reverse.
    /// Each step is dropped once it has run, and so is its output's gradient (unless the
    /// output asked to keep it, `retainGrad`): activations and gradients are freed layer by
    /// layer, and the allocator hands the same, already-touched pages to the next layer.
    public func backward(_ loss: Var, seed: Tensor? = nil) {
        loss.accumulate(seed ?? Tensor(repeating: 1, shape: loss.shape))
        let profile = Profiler("backward")
        for i in steps.indices.reversed() {
            guard let step = steps[i] else { continue }
            steps[i] = nil
            guard let g = step.out.grad else { continue }
            if !step.out.retainsGrad { step.out.grad = nil }
            profile.measure(step.site) { step.run(g) }
        }
        steps.removeAll()
        profile.report(slowestFirst: true)
    }

    public var recordedSteps: Int { steps.count }
}

/// Builds an op's output and records its backward when an input is taped.
public func taped(_ value: Tensor, _ inputs: Var?..., file: StaticString = #fileID, line: UInt = #line,
                  backward: @escaping (Tensor) -> Void) -> Var {
    var tape: Tape? = nil
    for v in inputs { if let t = v?.tape { tape = t; break } }
    let out = Var(value, tape: tape)
    tape?.record(out, file: file, line: line, backward)
    return out
}
