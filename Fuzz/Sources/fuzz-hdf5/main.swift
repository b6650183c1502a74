import Foundation
import FuzzDriver
import Media

// Any bytes as an HDF5 latent file, opened and read as the pipeline's source does: checks of
// the stored values, the shape, then every row. HDF5 opens files by name, so each input is
// written to one scratch file (in /dev/shm when there is one).
let scratch = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
    + "/cfclip-fuzz-\(getpid()).h5"

fuzzMain { bytes in
    guard FileManager.default.createFile(atPath: scratch, contents: Data(bytes)) else { return }
    if let file = try? LatentFile(path: scratch, decoding: .inProcess), file.count <= 4096, file.width <= 4096, (file.rows ?? 1) <= 64 {
        _ = try? file.read(0..<file.count, nLatent: file.rows ?? 1)
    }
}
