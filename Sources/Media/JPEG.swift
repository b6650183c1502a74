import CJPEG
import Foundation

/// JPEG through the TurboJPEG API: errors come back as values (plain libjpeg calls exit()).
public enum JPEG {
    public static func encode(_ image: RGBImage, quality: Int = 95) throws -> [UInt8] {
        guard let handle = tjInitCompress() else { throw MediaError.encode(format: "JPEG", what: "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer { px in
            tjCompress2(handle, px.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &out, &size, Int32(TJSAMP_444.rawValue), Int32(quality), 0)
        }
        defer { if let out { tjFree(out) } }
        guard rc == 0, let out else { throw MediaError.encode(format: "JPEG", what: String(cString: tjGetErrorStr2(handle))) }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    public static func decode(_ bytes: [UInt8], name: String = "<memory>") throws -> RGBImage {
        guard let handle = tjInitDecompress() else { throw MediaError.decode(file: name, what: "tjInitDecompress failed") }
        defer { tjDestroy(handle) }
        var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, cs: Int32 = 0
        let rc0 = bytes.withUnsafeBufferPointer { tjDecompressHeader3(handle, $0.baseAddress, UInt(bytes.count), &w, &h, &sub, &cs) }
        guard rc0 == 0 else { throw MediaError.decode(file: name, what: "not a JPEG: " + String(cString: tjGetErrorStr2(handle))) }
        var px = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        let rc = px.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                tjDecompress2(handle, src.baseAddress, UInt(bytes.count), dst.baseAddress, w, 0, h, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard rc == 0 else { throw MediaError.decode(file: name, what: "corrupt JPEG: " + String(cString: tjGetErrorStr2(handle))) }
        return RGBImage(width: Int(w), height: Int(h), pixels: px)
    }
}
