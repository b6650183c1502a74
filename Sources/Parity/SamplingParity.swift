import Foundation
import Tensors

/// `fixtures/sampling`: numpy's legacy RandomState streams (`out.z.seedN` = randn(n, d),
/// `out.uniform.seedN` = random_sample(n)) for every seed named in the outputs.
enum SamplingParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        var computed: [String: Tensor] = [:]
        for e in f.outputs {
            let parts = e.name.split(separator: ".")
            guard parts.count == 3, parts[2].hasPrefix("seed"), let seed = UInt32(parts[2].dropFirst(4)) else { continue }
            var rs = RandomState(seed: seed)
            let n = e.shape.reduce(1, *)
            switch parts[1] {
            case "z": computed[e.name] = Tensor(shape: e.shape, values: rs.randn(n).map { Float($0) })
            case "uniform": computed[e.name] = Tensor(shape: e.shape, values: (0..<n).map { _ in Float(rs.randomSample()) })
            default: break
            }
        }
        // float64 references are held as float32: equal after rounding, i.e. exact here
        return f.judge(computed, source: "-").map { r in
            var r = r
            if r.tolerance == Tolerance(atol: 0, rtol: 0) { r.tolerance = .exactMatch; r.passed = r.passed && r.maxAbs == 0 }
            return r
        }
    }
}
