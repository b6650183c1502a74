import Crypto

/// Streaming SHA-256 for file and tensor checksums, computed by swift-crypto (BoringSSL's
/// assembly on Linux: model files are hundreds of MB). The project's own small API over it.
public struct SHA256: Sendable {
    private var hash = Crypto.SHA256()

    public init() {}

    public mutating func update(_ data: UnsafeRawBufferPointer) { hash.update(bufferPointer: data) }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest. Finalising leaves this hasher usable (it finalises a copy).
    public func finalize() -> [UInt8] { Array(hash.finalize()) }

    /// Lower-case hexadecimal digest.
    public func hexDigest() -> String {
        let digits = Array("0123456789abcdef")
        return String(finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    public static func hex(_ data: UnsafeRawBufferPointer) -> String {
        var h = SHA256()
        h.update(data)
        return h.hexDigest()
    }

    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var h = SHA256()
        h.update(bytes)
        return h.hexDigest()
    }
}
