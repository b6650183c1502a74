import ArgumentParser
import Checkpoints
import FileIO
import Foundation
import Media
import Models
import Tensors

/// The file parsers at full size: loading a 1024² generator checkpoint (written once, with
/// seeded random weights, as safetensors) and reading 10,000 rows of W+ latents from HDF5
/// (chunked and deflated as `cfclip import-latents` writes them). The files are made in a
/// scratch folder before timing; the page cache holds them, so this times parsing, not disks.
struct LoadBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load",
        abstract: "Seconds to load a full-size generator checkpoint, hash it, and read 10,000 HDF5 latent rows.")
    @Option(help: "Rows of [18, 512] latents to read.") var rows = 10_000
    @Option(help: "Timed repeats (best is reported).") var repeats = 3
    @Option(help: "Scratch folder for the files.") var scratch = NSTemporaryDirectory()
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        let dir = scratch + "/cfclip-load-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = GeneratorConfig.configF(size: 1024)
        let dict = config.randomStateDict(seed: 1, prefix: "g_ema.")
        var tensors: [String: Tensor] = [:]
        for name in dict.names { tensors[name] = dict.stored(name)!.values }
        let checkpoint = dir + "/generator.safetensors"
        try Safetensors.write(tensors, to: checkpoint)
        let h5 = dir + "/latents.h5"
        let values = SeededNoise.gaussian(count: rows * 18 * 512, seed: 3)
        try HDF5File.write(path: h5, datasets: [("latents", [rows, 18, 512], values)])

        func best(_ body: () throws -> Void) rethrows -> Double {
            try body()   // warm-up (page cache, allocator)
            var b = Double.infinity
            for _ in 0..<max(repeats, 1) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                b = min(b, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            return b
        }
        let load = try best {
            _ = try Generator.load(from: try StateDict.load(checkpoint), prefix: "g_ema.", source: checkpoint)
        }
        // as the pipeline reads (libhdf5 in the reader child), and in this process: the
        // difference is what the isolation costs
        func readAll(_ decoding: LatentFile.Decoding) throws {
            let file = try LatentFile(path: h5, decoding: decoding)
            var at = 0
            while at < file.count {
                _ = try file.read(at..<min(file.count, at + 256), nLatent: 18)
                at += 256
            }
        }
        let read = try best { try readAll(.childProcess) }
        let readHere = try best { try readAll(.inProcess) }
        let size = Double((try FileManager.default.attributesOfItem(atPath: checkpoint)[.size] as? Int) ?? 0)
        // checksums of model files and finished shards (resume, merge, cfclip models)
        let hash = try best { _ = try InputFile(path: checkpoint).sha256() }
        printResults([("generator_load_seconds", load), ("generator_file_mb", size / 1e6), ("sha256_mb_per_s", size / 1e6 / hash),
                      ("hdf5_rows", Double(rows)), ("hdf5_read_seconds", read), ("hdf5_read_in_process_seconds", readHere), ("peak_rss_mb", peakRSSMegabytes())], json: json)
    }
}
