import Tensors

/// `LevelsMapper`: rows [0, 4) through `course_mapping` (sic, the checkpoint's name), [4, 8)
/// through `medium_mapping`, [8, L) through `fine_mapping`; a group absent from the checkpoint
/// contributes zeros. The CF-CLIP version first fuses `cat(w, t_w)` with
/// `fc = EqualLinear(2D, D, lr_mul=0.01, fused_lrelu)`.
public struct LevelsMapper: Sendable {
    public let fc: EqualLinear?          // CF-CLIP fusion layer; nil for StyleCLIP mappers
    public let coarse: Mapper?           // mapper.course_mapping
    public let medium: Mapper?           // mapper.medium_mapping
    public let fine: Mapper?             // mapper.fine_mapping
    public let dim: Int

    static let groups = [("coarse", 0, 4), ("medium", 4, 8), ("fine", 8, Int.max)]

    init(_ r: WeightReader, dim: Int) {
        self.dim = dim
        fc = r.contains("mapper.fc.weight") ? EqualLinear(r, "mapper.fc", in: 2 * dim, out: dim, lrMul: 0.01, activate: true) : nil
        func group(_ name: String) -> Mapper? {
            r.contains("mapper.\(name).mapping.1.weight") ? Mapper(r, "mapper.\(name)", dim: dim) : nil
        }
        coarse = group("course_mapping"); medium = group("medium_mapping"); fine = group("fine_mapping")
    }

    /// Δ [B, L, D] from the mapper input [B, L, D] (StyleCLIP) or [B, L, 2D] (CF-CLIP, after fc).
    /// `groupOutputs` receives each present group's output by name.
    public func callAsFunction(_ input: Var, _ params: Parameters? = nil, groupOutputs: ((String, Tensor) -> Void)? = nil) -> Var {
        let x = fc.map { $0(input, params) } ?? input
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        var parts: [Var] = []
        for (i, (name, lo, hi0)) in Self.groups.enumerated() {
            // a generator with fewer than 8 rows leaves a group empty, as x[:, 8:] is in the reference
            let hi = min(hi0, l)
            guard lo < hi else {
                if [coarse, medium, fine][i] != nil { groupOutputs?(name, Tensor(zeros: [b, 0, d])) }
                continue
            }
            guard let m = [coarse, medium, fine][i] else { parts.append(Var(Tensor(zeros: [b, hi - lo, d]))); continue }
            let part = m(Diff.slice(x, axis: 1, lo..<hi), params)
            groupOutputs?(name, part.value)
            parts.append(part)
        }
        return Diff.concatenate(parts, axis: 1)
    }
}

extension Mapper {
    /// The parameters under their state-dict names relative to the mapper (`mapping.1.weight`, ...).
    var namedParameters: [(String, Tensor)] {
        mapping.enumerated().flatMap { i, l in [("mapping.\(i + 1).weight", l.weight), ("mapping.\(i + 1).bias", l.bias!)] }
    }
}

extension LevelsMapper {
    /// `mapper.*` parameters under their checkpoint names.
    public var namedParameters: [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        if let fc { out += [("mapper.fc.weight", fc.weight), ("mapper.fc.bias", fc.bias!)] }
        for (name, m) in [("course_mapping", coarse), ("medium_mapping", medium), ("fine_mapping", fine)] {
            if let m { out += m.namedParameters.map { ("mapper.\(name).\($0.0)", $0.1) } }
        }
        return out
    }
}
