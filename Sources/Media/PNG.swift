import CPNG
import Foundation

/// PNG through libpng's simplified API (no setjmp needed; errors come back in `message`).
public enum PNG {
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width)
        img.height = UInt32(image.height)
        img.format = UInt32(PNG_FORMAT_RGB)
        var size = 0
        // First call sizes the buffer, second writes it.
        let ok0 = image.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&img, nil, &size, 0, px.baseAddress, Int32(image.width * 3), nil)
        }
        guard ok0 != 0, size > 0 else { throw MediaError.encode(format: "PNG", what: message(&img)) }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { px in
                png_image_write_to_memory(&img, dst.baseAddress, &size, 0, px.baseAddress, Int32(image.width * 3), nil)
            }
        }
        png_image_free(&img)
        guard ok != 0 else { throw MediaError.encode(format: "PNG", what: message(&img)) }
        return Array(out.prefix(size))
    }

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
