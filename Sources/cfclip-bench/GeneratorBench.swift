import ArgumentParser
import Foundation
import Models
import Tensors

/// Full-size StyleGAN2 config-f synthesis with seeded random weights.
struct GeneratorBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generator",
        abstract: "Seconds per image, GFLOP/s and peak RSS of W+ synthesis (config-f).")
    @Option(help: "Output resolution: 1024 (FFHQ) or 512 (AFHQ).") var size = 1024
    @Option(help: "Images per synthesis call.") var batch = 1
    @Option(help: "Timed calls after one warm-up call.") var repeats = 2
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Flag(help: "Print one flat JSON object.") var json = false
    @Flag(help: "Also print the time spent in each layer (to stderr).") var layers = false

    /// Reference cost of one image (multiply-adds x 2), as the issue quotes them.
    static let gflopPerImage: [Int: Double] = [1024: 149, 512: 119, 256: 90]

    func run() throws {
        Parallel.setThreads(threads)
        let config = GeneratorConfig.configF(size: size)
        let g = try Generator.load(from: config.randomStateDict(seed: 1), prefix: "", source: "random")
        let w = Tensor(shape: [batch, config.nLatent, config.styleDim],
                       values: SeededNoise.gaussian(count: batch * config.nLatent * config.styleDim, seed: 2))
        _ = try g.synthesize(w)   // warm-up
        var best = Double.infinity
        for _ in 0..<max(repeats, 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try g.synthesize(w)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        if layers {
            var last = DispatchTime.now().uptimeNanoseconds
            _ = try g.synthesize(w) { name, _ in
                let now = DispatchTime.now().uptimeNanoseconds
                FileHandle.standardError.write(Data(String(format: "%-14@ %7.1f ms\n", name, Double(now - last) / 1e6).utf8))
                last = now
            }
        }
        let perImage = best / Double(batch)
        let gflop = Self.gflopPerImage[size] ?? 0
        printResults([("seconds_per_image", perImage), ("gflops_per_second", gflop / perImage),
                      ("batch", Double(batch)), ("size", Double(size)), ("threads", Double(threads)),
                      ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }
}
