import Checkpoints
import Media
import Tensors

/// What every metrics row says about the edit that made it: method, preset, text, alpha,
/// steps and the short SHA-256 of each model file behind it.
struct EditRecord: Sendable {
    let name: String
    let text: String
    let alpha: Float
    var fields: [(key: String, value: JSONValue)]

    /// `judge`: the scoring CLIP's role in `checksums` when CLIP scores are written.
    init(_ e: ModelSet.Edit, checksums: [String: String], judge: String? = nil) {
        name = e.config.name; text = e.config.text; alpha = e.config.alpha
        let o = e.config.optimization
        let models: [(key: String, value: JSONValue)] = e.roles.map { role, file in
            (role, checksums[file].map { .string(String($0.prefix(12))) } ?? .null)
        }
        fields = [("method", .string(e.method.rawValue)), ("models", .object(models)),
                  ("preset", o.map { .string($0.preset.rawValue) } ?? .null),
                  ("start", o.map { .string($0.start.rawValue) } ?? .null),
                  ("start_seed", o.flatMap { $0.start == .mean ? .int(Int64($0.startSeed)) : nil } ?? .null),
                  ("steps", o.map { .int(Int64($0.steps)) } ?? .null)]
        if let judge {
            fields += [("clip_judge", checksums[judge].map { .string(String($0.prefix(12))) } ?? .null),
                       ("clip_judge_guided", .bool(e.judgedByGuide))]
        }
    }
}

/// Images to PNG/JPEG bytes (torchvision `save_image` rounding) and scores to JSON: the
/// sample's `KEY.json` and one metrics line per (sample, edit). No timings here, so these
/// bytes depend only on the sample.
struct EncodeStage {
    let edits: [EditRecord]
    let metrics: [Metric]
    let imageFormat: OutputConfig.ImageFormat
    let jpegQuality: Int
    /// `output.image_size`: the side written images are scaled down to.
    var imageSize: Int? = nil

    var imageExtension: String { imageFormat == .png ? "png" : "jpg" }

    func callAsFunction(_ batch: SampleBatch) throws -> EncodedBatch {
        let t0 = StageClock.now()
        var samples: [EncodedSample] = []
        for (i, index) in batch.indices.enumerated() {
            let key = sampleKey(index)
            var files: [(String, [UInt8])] = [("\(key).src.\(imageExtension)", try encode(batch.sourceImages!, i))]
            var editJSON: [(key: String, value: JSONValue)] = []
            var lines: [String] = []
            for (e, edit) in edits.enumerated() {
                files.append(("\(key).\(edit.name).\(imageExtension)", try encode(batch.editImages[e], i)))
                let scores = batch.scores.isEmpty ? [:] : batch.scores[e][i]
                let scoreJSON = metrics.flatMap { m in scores[m.rawValue].map { Self.score(m.rawValue, $0) } ?? [] }
                let losses = batch.losses.isEmpty || batch.losses[e].isEmpty ? nil : batch.losses[e][i]
                let lossJSON: JSONValue = losses.map { .array($0.map(JSONNumber.finiteOrNull)) } ?? .null
                editJSON.append((edit.name, .object([("alpha", JSONNumber.of(edit.alpha)), ("losses", lossJSON), ("scores", .object(scoreJSON)),
                                                     ("text", .string(edit.text))] + edit.fields)))
                let line: JSONValue = .object([("alpha", JSONNumber.of(edit.alpha)), ("edit", .string(edit.name)), ("index", .int(Int64(index))),
                                               ("key", .string(key)), ("losses", lossJSON), ("text", .string(edit.text))]
                                              + edit.fields + scoreJSON)
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

    /// A score as JSON: the number, or null with the reason beside it (`identity_error`), so
    /// every reader sees a column of numbers and nulls, never the string "NaN".
    static func score(_ name: String, _ v: Float) -> [(key: String, value: JSONValue)] {
        if v.isFinite { return [(name, JSONNumber.of(v))] }
        return [(name, .null), (name + "_error", .string("not a finite number (\(v.isNaN ? "NaN" : v > 0 ? "+infinity" : "-infinity"))"))]
    }

    func encode(_ images: Tensor, _ i: Int) throws -> [UInt8] {
        let image = RGBImage(tensor: Self.scaled(images, i, to: imageSize), index: 0)
        return imageFormat == .png ? try PNG.encode(image) : try JPEG.encode(image, quality: jpegQuality)
    }
}

extension EncodeStage {
    /// Sample `i` of `images` [N, 3, H, W], area-averaged to `side` x `side` (PyTorch's
    /// `interpolate(mode='area')`, i.e. adaptive average pooling) before the 8-bit rounding, or
    /// as it is without a size (or at its own). The render is clamped to [-1, 1] first, as the
    /// full-size image is written: the small image is the picture scaled down, not a mean of
    /// values no pixel shows.
    static func scaled(_ images: Tensor, _ i: Int, to side: Int?) -> Tensor {
        var one = images.slice(axis: 0, i..<(i + 1))
        let (h, w) = (images.shape[2], images.shape[3])
        guard let side, side != h || side != w else { return one }
        one.withUnsafeMutableBufferPointer { p in for k in 0..<p.count { p[k] = p[k].isNaN ? p[k] : min(max(p[k], -1), 1) } }
        return Resample.apply(one, rows: .adaptiveAverage(in: h, out: side), cols: .adaptiveAverage(in: w, out: side))
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
    /// `of`, with null for NaN and infinities.
    static func finiteOrNull(_ f: Float) -> JSONValue { f.isFinite ? of(f) : .null }
}
