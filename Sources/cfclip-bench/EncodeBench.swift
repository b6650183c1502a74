import ArgumentParser
import CPNG
import Foundation
import Media
import Models
import Tensors

/// Encoding one rendered image (config-f, seeded random weights) as the pipeline writes it:
/// PNG (`PNGEncoder`: adaptive filters, zlib level 4, strips in parallel) and JPEG at quality
/// 95. Also times libpng's simplified writer, the encoder until 2026-12-05 (zlib level 6, one
/// pass), so the saving and the size cost read off the same run.
struct EncodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encode",
        abstract: "Seconds per PNG and JPEG encode of one rendered image.")
    @Option(help: "Image resolution (the render's).") var size = 1024
    @Option(help: "Rounds of one encode of each kind (medians are reported).") var repeats = 5
    @Option(help: "Threads (the PNG strips compress in parallel).") var threads = 2
    @Flag(help: "Also time PNG at every zlib level (1-9).") var levels = false
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        Parallel.setThreads(threads)
        let config = GeneratorConfig.configF(size: size)
        let g = try Generator.load(from: config.randomStateDict(seed: 1), prefix: "", source: "random")
        let w = g.broadcast(g.mapping(Tensor(shape: [1, config.styleDim], values: SeededNoise.gaussian(count: config.styleDim, seed: 2))))
        let image = RGBImage(tensor: try g.synthesize(w, noise: .seeded([0])), index: 0)
        var pngBytes = 0, libpngBytes = 0, jpegBytes = 0
        // one of each per round, so drift in the machine's speed reaches each kind alike
        var png: [Double] = [], libpng: [Double] = [], jpeg: [Double] = []
        for _ in 0..<max(repeats, 1) {
            png.append(try secondsOf { pngBytes = try PNG.encode(image).count })
            libpng.append(secondsOf { libpngBytes = Self.libpngEncode(image) })
            jpeg.append(try secondsOf { jpegBytes = try JPEG.encode(image, quality: 95).count })
        }
        var levelRows: [(String, Double)] = []
        if levels {
            for level in 1...9 {
                var t: [Double] = [], bytes = 0
                for _ in 0..<max(repeats, 1) { t.append(try secondsOf { bytes = try PNG.encode(image, level: level).count }) }
                levelRows += [("png_level\(level)_seconds", median(t)), ("png_level\(level)_megabytes", Double(bytes) / 1e6)]
            }
        }
        printResults(levelRows + [("png_seconds", median(png)), ("png_megabytes", Double(pngBytes) / 1e6),
                      ("libpng_seconds", median(libpng)), ("libpng_megabytes", Double(libpngBytes) / 1e6),
                      ("libpng_over_png_seconds", median(libpng) / median(png)), ("png_over_libpng_bytes", Double(pngBytes) / Double(max(libpngBytes, 1))),
                      ("jpeg95_seconds", median(jpeg)), ("jpeg95_megabytes", Double(jpegBytes) / 1e6),
                      ("size", Double(size)), ("threads", Double(Parallel.threads))], json: json)
    }

    /// libpng's simplified writer into a buffer of its documented bound; returns the size.
    static func libpngEncode(_ image: RGBImage) -> Int {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width); img.height = UInt32(image.height)
        img.format = UInt32(PNG_FORMAT_RGB)
        let data = image.height * (image.width * 3 + 1)
        var size = 8 + 64 + 12 * (data / 8192 + 2) + data + ((data + 7) >> 3) + ((data + 63) >> 6) + 11
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&img, dst.baseAddress, &size, 0, $0.baseAddress, Int32(image.width * 3), nil) }
        }
        png_image_free(&img)
        return ok != 0 ? size : 0
    }
}
