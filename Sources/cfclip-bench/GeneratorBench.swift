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
    @Flag(help: "Alternate each timed call with one by the direct convolution Winograd replaced, and time sgemm in the same run (medians).")
    var compareDirect = false
    @Flag(help: "Alternate each timed call with one by the last layer and its ToRGB run in turn instead of in one pass (medians).")
    var compareFused = false

    /// Reference cost of one image (multiply-adds x 2), as the issue quotes them.
    static let gflopPerImage: [Int: Double] = [1024: 149, 512: 119, 256: 90]

    func run() throws {
        Parallel.setThreads(threads)
        let config = GeneratorConfig.configF(size: size)
        let g = try Generator.load(from: config.randomStateDict(seed: 1), prefix: "", source: "random")
        let w = Tensor(shape: [batch, config.nLatent, config.styleDim],
                       values: SeededNoise.gaussian(count: batch * config.nLatent * config.styleDim, seed: 2))
        _ = try g.synthesize(w)   // warm-up
        if compareDirect { return try compare(g, w) }
        if compareFused { return try compareFusion(g, w) }
        var best = Double.infinity
        for _ in 0..<max(repeats, 1) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try g.synthesize(w)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        if layers {
            var last = DispatchTime.now().uptimeNanoseconds
            _ = try g.synthesize(w, hook: { name, _ in
                let now = DispatchTime.now().uptimeNanoseconds
                FileHandle.standardError.write(Data(String(format: "%-14@ %7.1f ms\n", name, Double(now - last) / 1e6).utf8))
                last = now
            }, convOutputs: false)
        }
        let perImage = best / Double(batch)
        let gflop = Self.gflopPerImage[size] ?? 0
        printResults([("seconds_per_image", perImage), ("gflops_per_second", gflop / perImage),
                      ("batch", Double(batch)), ("size", Double(size)), ("threads", Double(threads)),
                      ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }

    /// The last layer summed into its ToRGB (`StyledConv.intoRGB`) and the two run in turn, alternately.
    func compareFusion(_ g: Generator, _ w: Tensor) throws {
        var fused: [Double] = [], apart: [Double] = []
        defer { Generator.fuseLastToRGB = true }
        for _ in 0..<max(repeats, 1) {
            Generator.fuseLastToRGB = true
            fused.append(try secondsOf { _ = try g.synthesize(w) } / Double(batch))
            Generator.fuseLastToRGB = false
            apart.append(try secondsOf { _ = try g.synthesize(w) } / Double(batch))
        }
        printResults([("fused_seconds_per_image", median(fused)), ("apart_seconds_per_image", median(apart)),
                      ("fused_over_apart", median(fused) / median(apart)), ("batch", Double(batch)), ("size", Double(size)),
                      ("threads", Double(threads)), ("repeats", Double(repeats)), ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }

    /// Winograd and direct renders alternately, and the sgemm rate of a 64² 512-channel layer's
    /// GEMM between them: medians, so drift in the machine's speed reaches all three alike.
    func compare(_ g: Generator, _ w: Tensor) throws {
        let (m, n, k) = (512, 4096, 4608)
        let a = seededTensor([m, k], seed: 5), b = seededTensor([k, n], seed: 6)
        var c = Tensor(zeros: [m, n])
        var wino: [Double] = [], direct: [Double] = [], gemm: [Double] = []
        for _ in 0..<max(repeats, 1) {
            ModulatedConv2D.winograd = true
            wino.append(try secondsOf { _ = try g.synthesize(w) } / Double(batch))
            ModulatedConv2D.winograd = false
            direct.append(try secondsOf { _ = try g.synthesize(w) } / Double(batch))
            ModulatedConv2D.winograd = true
            let s = secondsOf {
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
                } } }
            }
            gemm.append(2 * Double(m * n * k) / s / 1e9)
        }
        let gflop = Self.gflopPerImage[size] ?? 0
        printResults([("winograd_seconds_per_image", median(wino)), ("direct_seconds_per_image", median(direct)),
                      ("direct_over_winograd", median(direct) / median(wino)), ("sgemm_gflops_per_second", median(gemm)),
                      ("winograd_direct_gflops_per_second", gflop / median(wino)), ("winograd_over_sgemm", gflop / median(wino) / median(gemm)),
                      ("direct_over_sgemm", gflop / median(direct) / median(gemm)),
                      ("batch", Double(batch)), ("size", Double(size)), ("threads", Double(threads)), ("repeats", Double(repeats)),
                      ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }
}
