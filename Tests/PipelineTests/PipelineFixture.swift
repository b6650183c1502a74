import FixtureSupport
import Foundation
import Media
import Pipeline
import XCTest

/// A pipeline over the reduced fixture models (64x64 generator, style_dim 32, 10 W+ rows):
/// a StyleCLIP and a CF-CLIP edit, every score, latents written to a temporary HDF5 file.
struct PipelineFixture {
    let tmp: TemporaryDirectory
    var samples = 10
    var samplesPerShard = 4
    var batchSize = 2
    var format = "tar"
    var imageFormat = "png"
    var extraEdit = ""
    var regression = ""
    var alpha = "1.5"
    var noise = "buffers"
    var editNames = ("styleclip", "cfclip")
    /// Lines added under `models:` and under `source:` (two-space indented).
    var extraModels = ""
    var sourceExtra = ""
    /// Lines added under `scores:`.
    var scoresExtra = ""
    /// Lines added to `output:` (indented two spaces), e.g. "  image_size: 32".
    var outputExtra = ""

    init(_ tmp: TemporaryDirectory) { self.tmp = tmp }

    static func model(_ folder: String) throws -> String { try Fixtures.file(folder, "checkpoint.pt") }

    /// Deterministic W+ codes [n, rows, width] in [-1, 1] (a 64-bit LCG, not model codes:
    /// the pipeline does not care where codes come from).
    static func latentValues(_ count: Int, seed: UInt64 = 7) -> [Float] {
        var s = seed
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(s >> 40) % 2001 - 1000) / 1000
        }
    }

    func latents(rows: Int = 10, width: Int = 32, name: String = "latents.h5", nanAt: Int? = nil) throws -> String {
        let path = tmp.url.appendingPathComponent(name).path
        var values = Self.latentValues(samples * rows * width)
        if let nanAt { values[nanAt * rows * width + 3] = .nan }
        try HDF5File.write(path: path, datasets: [("latents", [samples, rows, width], values)], chunkRows: 3)
        return path
    }

    /// Writes the pipeline file (and its latents) and returns its path.
    func write(name: String = "pipeline.yaml", latents: String? = nil, output: String = "out") throws -> String {
        let h5 = try latents ?? self.latents()
        let yaml = """
        # fixture pipeline
        models:
          generator: \(try Self.model("stylegan2"))
          clip:
            checkpoint: \(try Self.model("clip"))
            vocabulary: \(try Fixtures.clipVocabulary())
            vision_heads: 2
            text_heads: 2
          arcface:
            checkpoint: \(try Self.model("arcface"))
            stage_units: [2, 2, 2, 2]
        \(extraModels)
        source:
          hdf5:
            path: \(h5)
        \(sourceExtra)
        edits:
          - name: \(editNames.0)
            text: green lipstick
            mapper: \(try Self.model("mapper"))
            alpha: \(alpha)
          - name: \(editNames.1)
            text: green lipstick
            mapper: \(try Self.model("cfclip_mapper"))
        \(extraEdit)
        scores:
          metrics: [clip_similarity, directional_clip, identity, latent_l2]
          source_text: face
        \(scoresExtra)
        output:
          dir: \(output)
          format: \(format)
          image_format: \(imageFormat)
          samples_per_shard: \(samplesPerShard)
        \(outputExtra)
        runtime:
          batch_size: \(batchSize)
          queue_depth: 2
          noise: \(noise)
          noise_seed: 3
        \(regression)
        """
        let path = tmp.url.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func folder(_ name: String) -> String { tmp.url.appendingPathComponent(name).path }

    /// Runs in-process, quietly.
    @discardableResult
    func run(_ pipeline: String, output: String, partition: Partition = .whole, force: Bool = false) throws -> RunResult {
        try PipelineRunner.run(pipeline: pipeline, options: RunOptions(output: output, partition: partition, force: force, progress: false))
    }
}

/// Bytes of every shard and metrics file of an output folder, by relative path (done-markers,
/// manifest, summary and report hold timings or partition details and are left out).
func outputBytes(_ root: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let fm = FileManager.default
    for sub in ["shards", "metrics"] {
        let dir = root + "/" + sub
        guard let names = fm.enumerator(atPath: dir) else { continue }
        for case let name as String in names {
            var isDir: ObjCBool = false
            let p = dir + "/" + name
            guard fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue, !name.hasSuffix(".done.json") else { continue }
            out[sub + "/" + name] = try Data(contentsOf: URL(fileURLWithPath: p))
        }
    }
    return out
}

/// Runs a command-line tool and returns (status, stdout + stderr).
func shell(_ tool: String, _ args: [String]) throws -> (Int32, String) {
    let r = try CLI.runTool(tool, args)
    return (r.status, r.output)
}

func json(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
}
