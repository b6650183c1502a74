import ArgumentParser
import Tensors

/// conv2d (im2col + GEMM, tiled) throughput on StyleGAN2-like layers.
struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv", abstract: "conv2d 3x3 GFLOP/s on 1 and 2 threads.")
    @OptionGroup var options: BenchOptions

    func run() throws {
        // (name, batch, cin, cout, size): a 64² 512-channel layer and a 1024² 32-channel layer.
        let layers: [(String, Int, Int, Int, Int)] = [
            ("3x3_512to512_64px", 1, 512, 512, 64),
            ("3x3_64to32_1024px", 1, 64, 32, 1024),
            ("3x3_32to32_1024px", 1, 32, 32, 1024),
        ]
        var rows: [(String, Double)] = []
        for t in options.threadCounts {
            Parallel.setThreads(t)
            for (name, n, cin, cout, s) in layers {
                let x = seededTensor([n, cin, s, s], seed: 3), w = seededTensor([cout, cin, 3, 3], seed: 4)
                let conv = Conv2D(stride: 1, padding: 1)
                var y = Tensor(zeros: [1])
                let secs = bestTime(seconds: options.seconds) { y = conv.forward(x, weight: w) }
                _ = y
                rows.append(("gflops_per_second_\(name)_t\(t)", 2.0 * Double(n * cout * cin * 9 * s * s) / secs / 1e9))
            }
        }
        rows.append(("peak_rss_mb", peakRSSMegabytes()))
        printResults(rows, json: options.json)
    }
}
