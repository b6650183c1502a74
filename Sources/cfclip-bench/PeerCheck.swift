import ArgumentParser
import Foundation
import Tensors

/// `--check DIR/check.json` of `scripts/reference/onnx_peer.py export`: torch's float32 output of
/// the same weights on a closed-form input, so a comparison with onnxruntime is known to time
/// the same network on both sides.
struct PeerCheck {
    let inputShape: [Int]
    let inputSeed: Int
    let output: [[Double]]

    init(file: String, model: String) throws {
        let fail = { (what: String) in ValidationError("\(file): \(what)") }
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot be read") }
        guard let all = try JSONSerialization.jsonObject(with: data) as? [String: Any], let m = all[model] as? [String: Any] else {
            throw fail("has no object '\(model)'")
        }
        guard let shape = m["input_shape"] as? [Int], shape.count == 4, let seed = m["input_seed"] as? Int,
              let out = m["output"] as? [[Double]], out.count == shape[0] else {
            throw fail("'\(model)' needs input_shape [N, C, H, W], input_seed and N output rows")
        }
        (inputShape, inputSeed, output) = (shape, seed, out)
    }

    /// The script's `seeded`: ((i * 7919 + seed * 104729) mod 2001) / 1000 - 1.
    var input: Tensor {
        let seed = inputSeed
        return Tensor(shape: inputShape) { b in
            for i in 0..<b.count { b[i] = Float(Double((i * 7919 + seed * 104729) % 2001) / 1000 - 1) }
        }
    }

    /// max |ours - torch| over the output rows.
    func maxAbsError(_ got: Tensor) -> Double {
        let g = got.scalars, width = got.count / max(output.count, 1)
        var worst = 0.0
        for (r, row) in output.enumerated() where row.count == width {
            for (j, v) in row.enumerated() { worst = max(worst, abs(Double(g[r * width + j]) - v)) }
        }
        return output.allSatisfy { $0.count == width } ? worst : .infinity
    }
}
