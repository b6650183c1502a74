import ArgumentParser
import Foundation
import Models
import Tensors

/// Full-size VGG19 features to relu5_2 (CF-CLIP's perceptual feature) with seeded random weights.
struct VGGBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vgg",
        abstract: "Milliseconds per image of VGG19 relu5_2 (Caffe preprocessing included), GFLOP/s and peak RSS.")
    @Option(help: "Image side: 256 or 512.") var size = 256
    @Option(help: "Batch sizes to time (comma separated).") var batches = "1,4"
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Option(help: "Minimum seconds of repeated calls per batch size.") var seconds = 3.0
    @Flag(help: "Print one flat JSON object.") var json = false
    @Flag(help: "Also print the time of each conv + ReLU at batch 1 (to stderr).") var layers = false
    @Option(help: "Floats per im2col tile (default: the model's).") var columnBudget: Int?

    /// Multiply-adds of convs 1_1 ... 5_2 for one image: 24.3 G at 256², 97 G at 512².
    var gmacPerImage: Double { 24.3 * Double(size * size) / (256 * 256) }

    func run() throws {
        Parallel.setThreads(threads)
        var vgg = try VGG.load(from: VGG.randomStateDict(seed: 1), source: "random")
        if let b = columnBudget { vgg.columnBudget = b }
        let sizes = batches.split(separator: ",").compactMap { Int($0) }
        var rows: [(String, Double)] = []
        for (i, b) in sizes.enumerated() {
            let x = seededTensor([b, 3, size, size], seed: 2)
            var f: [String: Tensor] = [:]
            let secs = bestTime(seconds: seconds) { f = try! vgg.features(VGGPreprocess.caffe(x), ["relu5_2"]) }
            _ = f
            let per = secs / Double(b)
            if i == 0 { rows += [("seconds_per_image", per), ("gflops_per_second", 2 * gmacPerImage / per)] }
            rows += [("ms_per_image_b\(b)", per * 1000), ("gflops_per_second_b\(b)", 2 * gmacPerImage / per)]
        }
        if layers { profile(vgg) }
        rows += [("size", Double(size)), ("threads", Double(threads)), ("peak_rss_mb", peakRSSMegabytes())]
        printResults(rows, json: json)
    }

    /// Each conv up to conv5_2 on its own, at the resolution it runs at.
    func profile(_ vgg: VGG) {
        var side = size
        for c in vgg.convs.prefix(VGGLayers.layer(named: "relu5_2")! + 1) {
            let x = seededTensor([1, c.weight.shape[1], side, side], seed: 3)
            let secs = bestTime(seconds: 0.5) {
                var y = Conv2D(stride: 1, padding: 1, columnBudget: vgg.columnBudget).forward(x, weight: c.weight, bias: c.bias)
                ReLU.forwardInPlace(&y)
            }
            let gflop = 2 * Double(c.weight.count * side * side) / 1e9
            FileHandle.standardError.write(Data(String(format: "%@ %4d² %7.2f ms %6.1f GFLOP/s\n", c.layer.name, side, secs * 1e3, gflop / secs).utf8))
            if c.layer.endsBlock { side /= 2 }
        }
    }
}
