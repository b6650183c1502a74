import Checkpoints
import Tensors

/// Reads a model's parameters from a state dict under a prefix, checking each key and shape,
/// and collects every problem (missing key, wrong shape, unexpected key) so a load reports
/// them all at once, like `load_state_dict(strict=True)` but in one message.
public final class WeightReader {
    public let source: String
    let dict: StateDict
    let prefix: String
    private(set) var used: Set<String> = []
    private(set) var problems: [String] = []

    public init(_ dict: StateDict, prefix: String = "", source: String) {
        self.dict = dict; self.prefix = prefix; self.source = source
    }

    /// The tensor at `prefix + key`, which must have `shape` (-1 matches any size).
    public func tensor(_ key: String, _ shape: [Int]) -> Tensor {
        let full = prefix + key
        guard let t = dict.tensors[full] else {
            problems.append("missing key '\(full)' (expected shape \(Shape.text(shape)))")
            return Tensor(zeros: shape.map { max($0, 0) })
        }
        used.insert(full)
        let matches = t.shape.count == shape.count && zip(t.shape, shape).allSatisfy { $1 < 0 || $0 == $1 }
        if !matches {
            problems.append("'\(full)': expected shape \(Shape.text(shape)), found \(Shape.text(t.shape))")
            return Tensor(zeros: shape.map { max($0, 0) })
        }
        return t
    }

    /// A tensor that may be absent (e.g. blur kernels missing from some FFHQ files).
    public func optional(_ key: String, _ shape: [Int]) -> Tensor? {
        dict.tensors[prefix + key] == nil ? nil : tensor(key, shape)
    }

    public func contains(_ key: String) -> Bool { dict.tensors[prefix + key] != nil }

    /// Shape of a stored tensor, for deriving a configuration from the checkpoint itself.
    public func shape(_ key: String) -> [Int]? { dict.tensors[prefix + key]?.shape }

    /// Keys under the prefix (without it).
    public var keys: [String] {
        dict.tensors.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    /// Marks keys as known without reading them (buffers the model recomputes, counters).
    public func ignore(where predicate: (String) -> Bool) {
        for k in keys where predicate(k) { used.insert(prefix + k) }
    }

    /// Throws `CheckpointError.mismatch` listing every problem, including unexpected keys.
    public func finish() throws {
        var all = problems
        for k in keys where !used.contains(prefix + k) { all.append("unexpected key '\(prefix + k)'") }
        if !all.isEmpty { throw CheckpointError.mismatch(source: source, problems: all) }
    }
}
