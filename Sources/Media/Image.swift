/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage \(width)x\(height) needs \(width * height * 3) bytes")
        self.width = width; self.height = height; self.pixels = pixels
    }
}

public enum MediaError: Error, CustomStringConvertible, Equatable {
    case encode(format: String, what: String)
    case decode(file: String, what: String)
    case io(file: String, what: String)

    public var description: String {
        switch self {
        case let .encode(format, what): return "\(format) encoding failed: \(what)"
        case let .decode(file, what): return "\(file): \(what)"
        case let .io(file, what): return "\(file): \(what)"
        }
    }
}
