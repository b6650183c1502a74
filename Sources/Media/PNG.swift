import CPNG
import Foundation

/// PNG through libpng's simplified API (no setjmp needed; errors come back in `message`).
public enum PNG {
    /// One compression pass into a buffer of libpng's documented upper bound
    /// (`PNG_IMAGE_PNG_SIZE_MAX`); sizing the buffer with a first call would compress the image
    /// twice. Should a zlib ever need more, the write reports the size and runs once more.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width)
        img.height = UInt32(image.height)
        img.format = UInt32(PNG_FORMAT_RGB)
        var capacity = maxEncodedSize(width: image.width, height: image.height)
        for _ in 0..<2 {
            var size = capacity
            var out = [UInt8](repeating: 0, count: capacity)
            let ok = out.withUnsafeMutableBytes { dst in
                image.pixels.withUnsafeBytes { px in
                    png_image_write_to_memory(&img, dst.baseAddress, &size, 0, px.baseAddress, Int32(image.width * 3), nil)
                }
            }
            if ok != 0 {
                png_image_free(&img)
                out.removeLast(out.count - size)
                return out
            }
            // a larger size back means the buffer was too small; anything else is an error
            guard size > capacity else { break }
            capacity = size
            png_image_free(&img)
        }
        let what = message(&img)
        png_image_free(&img)
        throw MediaError.encode(format: "PNG", what: what)
    }

    /// `PNG_IMAGE_PNG_SIZE_MAX` for an 8-bit RGB image: the filtered rows (a filter byte each)
    /// through zlib's worst case, plus the signature, IHDR, gAMA, cHRM, IEND and one IDAT header
    /// per 8 KiB of compressed data.
    static func maxEncodedSize(width w: Int, height h: Int) -> Int {
        let data = h * (w * 3) + h
        let compressed = data + ((data + 7) >> 3) + ((data + 63) >> 6) + 11
        return 8 + 25 + 16 + 44 + 12 + 12 + 12 * (compressed / 8192) + compressed
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
