import ArgumentParser
import CPNG
import Foundation
import Media
import Models
import Tensors

/// Encoding one rendered image (config-f, seeded random weights) as the pipeline writes it:
/// PNG (libpng's simplified writer, one compression pass) and JPEG at quality 95. Also times
/// a libpng sizing pass alone, which the encoder made before each write until 2026-12-05 (it
/// compressed every image twice), so the saving reads off the same run.
struct EncodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encode",
        abstract: "Seconds per PNG and JPEG encode of one rendered image.")
    @Option(help: "Image resolution (the render's).") var size = 1024
    @Option(help: "Rounds of one encode of each kind (medians are reported).") var repeats = 5
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        let config = GeneratorConfig.configF(size: size)
        let g = try Generator.load(from: config.randomStateDict(seed: 1), prefix: "", source: "random")
        let w = g.broadcast(g.mapping(Tensor(shape: [1, config.styleDim], values: SeededNoise.gaussian(count: config.styleDim, seed: 2))))
        let image = RGBImage(tensor: try g.synthesize(w, noise: .seeded([0])), index: 0)
        func timed(_ body: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        var pngBytes = 0, jpegBytes = 0
        // one of each per round, so drift in the machine's speed reaches each kind alike
        var png: [Double] = [], sizing: [Double] = [], jpeg: [Double] = []
        for _ in 0..<max(repeats, 1) {
            png.append(try timed { pngBytes = try PNG.encode(image).count })
            sizing.append(timed { _ = Self.sizingPass(image) })
            jpeg.append(try timed { jpegBytes = try JPEG.encode(image, quality: 95).count })
        }
        func mid(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        printResults([("png_seconds", mid(png)), ("png_sizing_pass_seconds", mid(sizing)),
                      ("png_before_over_now", (mid(png) + mid(sizing)) / mid(png)), ("png_megabytes", Double(pngBytes) / 1e6),
                      ("jpeg95_seconds", mid(jpeg)), ("jpeg95_megabytes", Double(jpegBytes) / 1e6), ("size", Double(size))], json: json)
    }

    /// `png_image_write_get_memory_size`: a whole compression that only counts the bytes.
    static func sizingPass(_ image: RGBImage) -> Int {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width); img.height = UInt32(image.height)
        img.format = UInt32(PNG_FORMAT_RGB)
        var size = 0
        _ = image.pixels.withUnsafeBytes { png_image_write_to_memory(&img, nil, &size, 0, $0.baseAddress, Int32(image.width * 3), nil) }
        png_image_free(&img)
        return size
    }
}
