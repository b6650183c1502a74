import Tensors

/// The mappers on `Var`s: the same layers as inference, recording their backward when a tape
/// is involved (the mapper's own weights through `Parameters`).
extension LevelsMapper {
    public func callAsFunction(_ input: Var, _ params: Parameters? = nil) -> Var {
        let x = fc.map { $0(input, params) } ?? input
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        var parts: [Var] = []
        for (i, (_, lo, hi0)) in Self.groups.enumerated() {
            let hi = min(hi0, l)
            guard lo < hi else { continue }
            let rowsVar = RowsOp.rows(x, lo..<hi)
            if let m = [coarse, medium, fine][i] { parts.append(m(rowsVar, params)) } else { parts.append(Var(Tensor(zeros: [b, hi - lo, d]))) }
        }
        return RowsOp.concatRows(parts)
    }
}

extension FullTextMapper {
    /// embedding [E] -> t_w [B, L, D] (row c from mapper_c, the same for every sample).
    public func callAsFunction(_ embedding: Var, batch: Int, rows l: Int, _ params: Parameters? = nil) -> Var {
        let d = embedding.value.count
        let e = Diff.reshape(embedding, [1, 1, d])
        let rowsOut = (0..<l).map { c -> Var in c < mappers.count ? mappers[c](e, params) : Var(Tensor(zeros: [1, 1, d])) }
        let one = RowsOp.concatRows(rowsOut)                       // [1, L, D]
        return Diff.concatenate(Array(repeating: one, count: batch)) // [B, L, D]
    }
}

extension MapperCheckpoint {
    /// Trainable copies of every mapper parameter on `tape`.
    public func parameters(on tape: Tape) -> Parameters { Parameters(namedParameters, tape: tape) }

    /// Differentiable edit: (w_hat, t_w) with w_hat = w + alpha * 0.1 * Δ.
    public func edit(_ w: Var, textEmbedding: Var?, alpha: Float = 1, params: Parameters?) throws -> (wHat: Var, tW: Var?) {
        let delta: Var, tw: Var?
        switch kind {
        case .styleclip:
            delta = mapper(w, params); tw = nil
        case .cfclip:
            guard let e = textEmbedding, let tm = textMapper else {
                throw ModelError.invalidInput("\(source): a CF-CLIP mapper needs the CLIP embedding of its text")
            }
            let t = tm(e, batch: w.shape[0], rows: w.shape[1], params)
            delta = mapper(RowsOp.concatLastAxis(w, t), params); tw = t
        }
        return (Diff.add(w, Diff.affine(delta, scale: alpha * 0.1)), tw)
    }
}

/// Row selections of [B, L, D] tensors on `Var`s.
public enum RowsOp {
    public static func rows(_ x: Var, _ range: Range<Int>) -> Var {
        taped(x.value.rows(range), x) { g in
            var full = Tensor(zeros: x.shape)
            full.setRows(range, g)
            x.accumulate(full)
        }
    }

    /// Parts [B, n_i, D] concatenated along axis 1.
    public static func concatRows(_ parts: [Var]) -> Var {
        let b = parts[0].shape[0], d = parts[0].shape[2], l = parts.reduce(0) { $0 + $1.shape[1] }
        var out = Tensor(zeros: [b, l, d])
        var at = 0
        for p in parts { out.setRows(at..<(at + p.shape[1]), p.value); at += p.shape[1] }
        var tape: Tape? = nil
        for p in parts { if let t = p.tape { tape = t; break } }
        let v = Var(out, tape: tape)
        tape?.record(v) { g in
            var at = 0
            for p in parts {
                let n = p.shape[1]
                if p.needsGrad { p.accumulate(g.rows(at..<(at + n))) }
                at += n
            }
        }
        return v
    }

    /// cat([a, b], dim=-1) for [B, L, Da] and [B, L, Db].
    public static func concatLastAxis(_ a: Var, _ b: Var) -> Var {
        let lead = Array(a.shape.dropLast())
        let rows = a.value.count / a.shape.last!
        let flat = Diff.concatColumns(Diff.reshape(a, [rows, a.shape.last!]), Diff.reshape(b, [rows, b.shape.last!]))
        return Diff.reshape(flat, lead + [a.shape.last! + b.shape.last!])
    }
}
