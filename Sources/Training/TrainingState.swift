import Checkpoints
import Foundation
import Tensors

/// Everything needed to continue a run bit for bit: step, mapper parameters, optimiser state,
/// the random generator, and the config fingerprint. One safetensors file, written atomically.
public struct TrainingState {
    public var step: Int
    public var params: [(String, Tensor)]
    public var optimizer: [String: Tensor]
    public var rng: RandomState
    public var order: [Int]          // the current epoch's sample order
    public var cursor: Int           // next position in `order`
    public var fingerprint: String

    public func write(to path: String) throws {
        var tensors: [String: Tensor] = [:]
        for (k, t) in params { tensors["param." + k] = t }
        for (k, t) in optimizer { tensors["optim." + k] = t }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let meta: [String: String] = [
            "format": "cfclip-training-state", "step": String(step), "fingerprint": fingerprint,
            "rng": String(decoding: try enc.encode(rng), as: UTF8.self),
            "order": order.map(String.init).joined(separator: ","), "cursor": String(cursor),
            "param_names": params.map(\.0).joined(separator: ","),
        ]
        try Safetensors.write(tensors, metadata: meta, to: path)
    }

    public static func read(path: String) throws -> TrainingState {
        let c = try Safetensors.read(path: path)
        let m = c.metadata
        let tensors = Dictionary(c.tensors.map { ($0.name, $0.tensor.values) }, uniquingKeysWith: { a, _ in a })
        guard m["format"] == "cfclip-training-state", let step = m["step"].flatMap(Int.init),
              let rngText = m["rng"], let rng = try? JSONDecoder().decode(RandomState.self, from: Data(rngText.utf8)),
              let names = m["param_names"]?.split(separator: ",").map(String.init) else {
            throw TrainingError.resume(path, "not a training state written by cfclip train")
        }
        var params: [(String, Tensor)] = []
        for n in names {
            guard let t = tensors["param." + n] else { throw TrainingError.resume(path, "parameter '\(n)' is missing") }
            params.append((n, t))
        }
        var optim: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix("optim.") { optim[String(k.dropFirst(6))] = t }
        let order = (m["order"] ?? "").split(separator: ",").compactMap { Int($0) }
        return TrainingState(step: step, params: params, optimizer: optim, rng: rng, order: order,
                             cursor: Int(m["cursor"] ?? "0") ?? 0, fingerprint: m["fingerprint"] ?? "")
    }
}
