import Foundation
import Media

/// Any bytes as an HDF5 latent file, opened and read as the pipeline's source does: checks of
/// the stored values, shape, then every row. The HDF5 library opens files by name, so each
/// input is written to one scratch file (in /dev/shm when there is one).
nonisolated(unsafe) let scratch: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return dir + "/cfclip-fuzz-\(getpid()).h5"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: scratch, contents: Data(bytes: data, count: size)) else { return 0 }
    if let file = try? LatentFile(path: scratch), file.count <= 4096, file.width <= 4096, (file.rows ?? 1) <= 64 {
        _ = try? file.read(0..<file.count, nLatent: file.rows ?? 1)
    }
    return 0
}
