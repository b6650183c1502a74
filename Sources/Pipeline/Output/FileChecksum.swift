import Checkpoints
import FileIO
import Foundation

/// SHA-256 of a whole file, read in 4 MiB pieces (model files are hundreds of megabytes).
public enum FileChecksum {
    public static func sha256(path: String) throws -> String {
        try InputFile(path: path).sha256()
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.hexDigest()
    }
}
