import Checkpoints
import Models
import Tensors

/// The reference constructors' initialisation of a new mapper: every EqualLinear weight
/// N(0, 1) / lr_mul (lr_mul 0.01), biases 0. CF-CLIP mappers get the fusion layer and one text
/// mapper per latent row; StyleCLIP mappers (the global-loss baseline) neither.
public enum MapperInit {
    public static func random(kind: MapperCheckpoint.Kind, dim d: Int, nLatent l: Int, rng: inout RandomState) throws -> MapperCheckpoint {
        var dict = StateDict(source: "new mapper")
        func layer(_ key: String, _ inF: Int) {
            let w = (0..<(d * inF)).map { _ in Float(rng.gaussian()) / 0.01 }
            dict.insert(key + ".weight", StoredTensor(Tensor(shape: [d, inF], values: w)))
            dict.insert(key + ".bias", StoredTensor(Tensor(zeros: [d])))
        }
        if kind == .cfclip { layer("mapper.fc", 2 * d) }
        for group in ["course_mapping", "medium_mapping", "fine_mapping"] { for i in 1...4 { layer("mapper.\(group).mapping.\(i)", d) } }
        if kind == .cfclip { for c in 0..<l { for i in 1...4 { layer("text_mapper.mapper_\(c).mapping.\(i)", d) } } }
        return try MapperCheckpoint.load(from: dict, source: "new mapper")
    }

    /// A mapper of the same kind with new parameter values (names as `namedParameters`).
    public static func with(_ params: [(String, Tensor)], kind: MapperCheckpoint.Kind) throws -> MapperCheckpoint {
        var dict = StateDict(source: "mapper")
        for (k, t) in params { dict.insert(k, StoredTensor(t)) }
        return try MapperCheckpoint.load(from: dict, source: "mapper")
    }
}
