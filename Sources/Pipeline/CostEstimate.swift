import Foundation
import Models
import Tensors
import Training

/// The time a run will take, per edit, before anything starts: one source render and its
/// scores are timed here, on this machine, and a latent optimisation step is that render times
/// the ratio `cfclip-bench optimize` measured (README "Measured").
struct CostEstimate {
    /// Seconds of one optimisation step over one generator forward at 1024² (cfclip-bench
    /// optimize, 2 threads, 2026-12-05): StyleCLIP with its identity term 2.74 (10.5 s against
    /// 3.8 s), TediGAN with VGG16 to conv4_3 7.47 (38.3 s against 5.1 s).
    static let stepOverForward: [OptimizationSettings.Preset: Double] = [.styleclip: 2.74, .tedigan: 7.47]

    /// Per edit: (name, seconds per sample); and the source's own render and scores.
    var perEdit: [(name: String, seconds: Double)]
    var source: Double

    static func measure(models: ModelSet, metrics: [Metric], sample: Tensor) throws -> CostEstimate {
        func time(_ body: () throws -> Void) rethrows -> Double {
            let t0 = StageClock.now()
            try body()
            return StageClock.now() - t0
        }
        var image = Tensor(zeros: [1])
        let render = try time { image = try models.generator.synthesize(sample) }
        let wantsCLIP = metrics.contains(.clipSimilarity) || metrics.contains(.directionalCLIP)
        let scores = try time {
            if wantsCLIP, let c = models.clipImages { _ = c.features(image) }
            if let id = models.identity { _ = try id.features(image) }
        }
        let perEdit = models.edits.map { e -> (String, Double) in
            let renderHere = render * Double(e.generator.config.size * e.generator.config.size)
                / Double(models.generator.config.size * models.generator.config.size)
            var s = renderHere + scores
            if let o = e.optimizer?.settings { s += Double(o.steps) * renderHere * (stepOverForward[o.preset] ?? 1) }
            return (e.config.name, s)
        }
        return CostEstimate(perEdit: perEdit, source: render + scores)
    }

    /// "cfclip 2.1 s, tedigan 1h32m per sample; 8 samples: about 12h20m in all".
    func lines(samples: Int) -> [String] {
        let total = Double(samples) * (source + perEdit.reduce(0) { $0 + $1.seconds })
        return ["estimate (one render timed here; optimisation steps at the ratios of cfclip-bench optimize): "
                    + perEdit.map { "\($0.name) \(Self.text($0.seconds))" }.joined(separator: ", ") + " per sample, sources \(Self.text(source))",
                "estimate: \(samples) samples, about \(Self.text(total)) in all"]
    }

    static func text(_ s: Double) -> String { s < 10 ? String(format: "%.1f s", s) : ProgressReporter.duration(s) }
}
