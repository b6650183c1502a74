import Checkpoints
import Media
import Tensors

/// Images to PNG/JPEG bytes (torchvision `save_image` rounding) and scores to JSON: the
/// sample's `KEY.json` and one metrics line per (sample, edit). No timings here, so these
/// bytes depend only on the sample.
struct EncodeStage {
    let edits: [EditConfig]
    let metrics: [Metric]
    let imageFormat: OutputConfig.ImageFormat
    let jpegQuality: Int

    var imageExtension: String { imageFormat == .png ? "png" : "jpg" }

    func callAsFunction(_ batch: SampleBatch) throws -> EncodedBatch {
        let t0 = StageClock.now()
        var samples: [EncodedSample] = []
        for (i, index) in batch.rows.enumerated() {
            let key = sampleKey(index)
            var files: [(String, [UInt8])] = [("\(key).src.\(imageExtension)", try encode(batch.sourceImages!, i))]
            var editJSON: [(key: String, value: JSONValue)] = []
            var lines: [String] = []
            for (e, edit) in edits.enumerated() {
                files.append(("\(key).\(edit.name).\(imageExtension)", try encode(batch.editImages[e], i)))
                let scores = batch.scores.isEmpty ? [:] : batch.scores[e][i]
                let scoreJSON = metrics.compactMap { m in scores[m.rawValue].map { (key: m.rawValue, value: JSONNumber.of($0)) } }
                editJSON.append((edit.name, .object([("alpha", JSONNumber.of(edit.alpha)), ("scores", .object(scoreJSON)),
                                                     ("text", .string(edit.text))])))
                let line: JSONValue = .object([("edit", .string(edit.name)), ("index", .int(Int64(index))), ("key", .string(key))] + scoreJSON)
                lines.append(line.serialized(sortedKeys: true))
            }
            let sampleJSON: JSONValue = .object([("edits", .object(editJSON)), ("index", .int(Int64(index))), ("key", .string(key))])
            files.append(("\(key).json", Array((sampleJSON.serialized(sortedKeys: true) + "\n").utf8)))
            samples.append(EncodedSample(index: index, key: key, files: files, metricsLines: lines))
        }
        var timings = batch.timings
        timings["encode", default: 0] += StageClock.now() - t0
        return EncodedBatch(shard: batch.shard, rows: batch.rows, lastOfShard: batch.lastOfShard,
                            shardStarted: batch.shardStarted, timings: timings, samples: samples)
    }

    func encode(_ images: Tensor, _ i: Int) throws -> [UInt8] {
        let image = RGBImage(tensor: images, index: i)
        return imageFormat == .png ? try PNG.encode(image) : try JPEG.encode(image, quality: jpegQuality)
    }
}

/// Numbers in output JSON: a Float printed in its shortest round-trip form (0.8341, not
/// 0.83410000801086426), so equal scores give equal bytes and the text reads naturally.
enum JSONNumber {
    static func of(_ f: Float) -> JSONValue {
        guard f.isFinite else { return .double(Double(f)) }
        return .double(Double("\(f)")!)
    }
    static func of(_ d: Double) -> JSONValue { .double(d) }
}
