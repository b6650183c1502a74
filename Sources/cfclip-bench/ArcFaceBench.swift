import ArgumentParser
import Foundation
import Checkpoints
import Models
import Tensors

/// Full-size IR-SE50 (24 units, 112x112 faces, 512-d) with seeded random weights.
struct ArcFaceBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "arcface",
        abstract: "Milliseconds per identity embedding (IR-SE50 on a 112x112 face), GFLOP/s and peak RSS.")
    @Option(help: "Batch sizes to time (comma separated).") var batches = "1,4"
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Option(help: "Minimum seconds of repeated calls per batch size.") var seconds = 3.0
    @Flag(help: "Print one flat JSON object.") var json = false
    @Option(help: "Floats per im2col tile (default: the model's).") var columnBudget: Int?
    @Flag(help: "Also print the time spent in each unit at the first batch size (to stderr).") var layers = false
    @Option(help: "An IR-SE50 state dict to time instead of seeded random weights (onnx_peer.py export's irse50.pth).")
    var weights: String?
    @Option(help: "onnx_peer.py export's check.json: also print the largest difference from torch's embedding.")
    var check: String?

    /// Multiply-adds of one 112x112 embedding (convs, shortcut convs and the linear layer).
    static let gmacPerEmbedding = 6.3

    func run() throws {
        Parallel.setThreads(threads)
        let config = BackboneConfig.irse(numLayers: 50)
        var net = try weights.map { try Backbone.load(from: StateDict.load($0), source: $0) }
            ?? Backbone.load(from: config.randomStateDict(seed: 1), source: "random")
        if let b = columnBudget { net.columnBudget = b }
        let sizes = batches.split(separator: ",").compactMap { Int($0) }
        var rows: [(String, Double)] = []
        if let check {
            let c = try PeerCheck(file: check, model: "irse50")
            rows.append(("max_abs_vs_torch", c.maxAbsError(try net.embedding(c.input))))
        }
        for (i, b) in sizes.enumerated() {
            let x = seededTensor([b, 3, config.inputSize, config.inputSize], seed: 2)
            var e = Tensor(zeros: [1])
            let secs = bestTime(seconds: seconds) { e = try! net.embedding(x) }
            _ = e
            let per = secs / Double(b)
            if i == 0 {
                rows += [("seconds_per_image", per), ("gflops_per_second", 2 * Self.gmacPerEmbedding / per)]
            }
            rows += [("ms_per_embedding_b\(b)", per * 1000), ("gflops_per_second_b\(b)", 2 * Self.gmacPerEmbedding / per)]
            if layers && i == 0 { try profile(net, x) }
        }
        rows += [("threads", Double(threads)), ("peak_rss_mb", peakRSSMegabytes())]
        printResults(rows, json: json)
    }

    func profile(_ net: Backbone, _ x: Tensor) throws {
        var last = DispatchTime.now().uptimeNanoseconds
        _ = try net.embeddingRaw(x) { name, _ in
            let now = DispatchTime.now().uptimeNanoseconds
            let label = name.padding(toLength: 12, withPad: " ", startingAt: 0)
            FileHandle.standardError.write(Data((label + String(format: "%7.2f ms\n", Double(now - last) / 1e6)).utf8))
            last = now
        }
    }
}
