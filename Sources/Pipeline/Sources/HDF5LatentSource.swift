import Media
import Tensors

/// Latent codes from an HDF5 file (dataset [N, L, D] W+ or [N, D] W, float32), read in
/// chunk-aligned slabs so every compressed chunk is inflated once.
public final class HDF5LatentSource: LatentSource {
    let file: LatentFile
    let nLatent: Int
    public let count: Int

    public init(config: HDF5SourceConfig, styleDim: Int, nLatent: Int) throws {
        do {
            file = try LatentFile(path: config.path, dataset: config.dataset, allowExternalStorage: config.allowExternalStorage)
            try file.validate(width: styleDim, nLatent: nLatent)
        } catch let e as MediaError {
            throw PipelineError.input(file: config.path, what: Self.strip(e, config.path))
        }
        self.nLatent = nLatent
        count = min(file.count, config.limit ?? file.count)
    }

    public var alignment: Int { file.chunkRows ?? 0 }

    public func read(_ rows: Range<Int>) throws -> Tensor {
        do { return try file.read(rows, nLatent: nLatent) } catch let e as MediaError {
            throw PipelineError.input(file: file.path, what: Self.strip(e, file.path))
        }
    }

    /// Reads every row once: a NaN or infinite value is reported by its row before any
    /// output exists.
    public func validate(_ rows: [Range<Int>]) throws {
        for r in rows {
            for slab in alignedSlabs(r, alignment: alignment, minimum: 256) { _ = try read(slab) }
        }
    }

    static func strip(_ e: MediaError, _ path: String) -> String {
        let text = e.description
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }
}
