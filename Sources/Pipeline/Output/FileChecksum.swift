import Checkpoints
import Foundation

/// SHA-256 of a whole file, read in 4 MiB pieces (model files are hundreds of megabytes).
public enum FileChecksum {
    public static func sha256(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PipelineError.input(file: path, what: FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while true {
            let chunk = handle.readData(ofLength: 4 << 20)
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return hash.hexDigest()
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.hexDigest()
    }
}
