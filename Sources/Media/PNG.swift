import CPNG
import Foundation

/// PNG: written by `PNGEncoder` (zlib), read through libpng's simplified API (no setjmp
/// needed; errors come back in `message`).
public enum PNG {
    /// 8-bit RGB PNG bytes (`PNGEncoder`: adaptive row filters, zlib level 4, strips deflated
    /// in parallel; the bytes depend on the image only).
    public static func encode(_ image: RGBImage, level: Int = defaultLevel) throws -> [UInt8] { try PNGEncoder.encode(image, level: level) }

    /// zlib level of `encode`.
    public static let defaultLevel = PNGEncoder.defaultLevel

    public static func decode(_ bytes: [UInt8], name: String = "<memory>") throws -> RGBImage {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&img, $0.baseAddress, bytes.count) }
        guard begun != 0 else { throw MediaError.decode(file: name, what: "not a PNG: " + message(&img)) }
        img.format = UInt32(PNG_FORMAT_RGB)
        let w = Int(img.width), h = Int(img.height)
        var px = [UInt8](repeating: 0, count: w * h * 3)
        let ok = px.withUnsafeMutableBytes { png_image_finish_read(&img, nil, $0.baseAddress, Int32(w * 3), nil) }
        defer { png_image_free(&img) }
        guard ok != 0 else { throw MediaError.decode(file: name, what: "corrupt PNG: " + message(&img)) }
        return RGBImage(width: w, height: h, pixels: px)
    }

    static func message(_ img: inout png_image) -> String {
        withUnsafeBytes(of: &img.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
