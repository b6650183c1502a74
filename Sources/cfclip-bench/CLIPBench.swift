import ArgumentParser
import Foundation
import Checkpoints
import Models
import Tensors

/// Full-size ViT-B/32 with seeded random weights: ms per image (batch 1 and 8) and per prompt.
struct CLIPBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clip",
        abstract: "CLIP ViT-B/32 image and text encoding speed (4.4 GMAC = 8.8 GFLOP per 224² image).")
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Option(help: "Minimum seconds of repeated calls per measurement.") var seconds: Double = 2
    @Flag(help: "Print one flat JSON object.") var json = false
    @Option(help: "Image batch sizes to time (comma separated).") var batches = "1,8"
    @Option(help: "A CLIP ViT-B/32 state dict to time instead of seeded random weights (onnx_peer.py export's clip.pt).")
    var weights: String?
    @Option(help: "onnx_peer.py export's check.json: also print the largest difference from torch's image embedding.")
    var check: String?

    func run() throws {
        Parallel.setThreads(threads)
        let model = try weights.map { try CLIPModel.load(from: StateDict.load($0), source: $0) }
            ?? CLIPModel.load(from: CLIPConfig.vitB32.randomStateDict(seed: 1), source: "random")
        var rows: [(String, Double)] = []
        if let check {
            let c = try PeerCheck(file: check, model: "clip")
            rows.append(("max_abs_vs_torch", c.maxAbsError(model.encodeImage(c.input))))
        }
        let gflop = Self.imageGFLOP(model.visual)
        for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
            let images = Tensor(shape: [batch, 3, 224, 224], values: SeededNoise.gaussian(count: batch * 3 * 224 * 224, seed: 2))
            let t = bestTime(seconds: seconds) { _ = model.encodeImage(images) }
            rows.append(("ms_per_image_batch\(batch)", t / Double(batch) * 1000))
            rows.append(("gflops_per_second_image_batch\(batch)", gflop * Double(batch) / t))
        }
        // "a photo of a face." is 6 BPE tokens: SOT + 6 + EOT, then zero padding
        var ids = [Int32](repeating: 0, count: 77)
        for (i, v) in [49406, 320, 1125, 539, 320, 1710, 269, 49407].enumerated() { ids[i] = Int32(v) }
        let t = bestTime(seconds: seconds) { _ = try? model.encodeText([ids]) }
        rows.append(("ms_per_short_prompt", t * 1000))
        let full = [Int32](repeating: 1000, count: 76) + [49407]
        let tf = bestTime(seconds: seconds) { _ = try? model.encodeText([full]) }
        rows.append(("ms_per_77_token_prompt", tf * 1000))
        rows.append(("peak_rss_mb", peakRSSMegabytes()))
        printResults(rows, json: json)
    }

    /// 2 x multiply-adds of one image: patch embedding, per block 12 w² per token (qkv, out,
    /// two MLP layers) plus 2 L² w of attention, and the projection.
    static func imageGFLOP(_ v: VisionTransformer) -> Double {
        let w = Double(v.width), grid = Double(v.inputResolution / v.patchSize), l = grid * grid + 1
        let patch = grid * grid * 3 * Double(v.patchSize * v.patchSize) * w
        let block = l * 12 * w * w + 2 * l * l * w
        return 2 * (patch + Double(v.transformer.resblocks.count) * block + w * Double(v.proj.shape[1])) / 1e9
    }
}
