import Tensors

/// An HDF5 file of latent codes: dataset `latents`, float32 [N, L, D] (W+) or [N, D] (W,
/// repeated to every layer), optional `ids`. Rows are read in slabs on demand, by default in a
/// child process (`cfclip-hdf5-reader`): the HDF5 library crashes on some damaged files.
public final class LatentFile: @unchecked Sendable {
    public enum Decoding: Sendable {
        /// libhdf5 runs in a child process; its crash or hang is an error naming the file.
        case childProcess
        /// libhdf5 runs here (the reader child itself, the fuzz harness).
        case inProcess
    }

    public let path: String
    public let count: Int
    public let rows: Int?          // L for W+ files, nil for W
    public let width: Int
    public let dataset: String
    /// Rows per HDF5 chunk (nil when stored contiguously).
    public let chunkRows: Int?
    let source: LatentRows

    public init(path: String, dataset: String = "latents", allowExternalStorage: Bool = false,
                decoding: Decoding = .childProcess) throws {
        self.path = path
        self.dataset = dataset
        switch decoding {
        case .childProcess: source = try IsolatedLatentRows(path: path, dataset: dataset, allowExternalStorage: allowExternalStorage)
        case .inProcess: source = try InProcessLatentRows(path: path, dataset: dataset, allowExternalStorage: allowExternalStorage)
        }
        let shape = source.header.shape
        guard shape.count == 2 || shape.count == 3 else {
            throw MediaError.decode(file: path, what: "dataset '\(dataset)' must be [N, L, D] (W+) or [N, D] (W), found shape \(Shape.text(shape))")
        }
        count = shape[0]
        rows = shape.count == 3 ? shape[1] : nil
        width = shape.last!
        chunkRows = source.header.chunkRows
    }

    /// Checks the codes fit a generator: width D and, for W+, at least `nLatent` rows.
    public func validate(width d: Int, nLatent: Int) throws {
        guard width == d else {
            throw MediaError.decode(file: path, what: "dataset '\(dataset)' has width \(width), the generator's style_dim is \(d)")
        }
        if let l = rows, l < nLatent {
            throw MediaError.decode(file: path, what: "dataset '\(dataset)' has \(l) rows per code, the generator needs \(nLatent)")
        }
    }

    /// Codes `range` as W+ [n, nLatent, D]; a NaN or infinite value is an error naming its index.
    public func read(_ range: Range<Int>, nLatent: Int) throws -> Tensor {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw MediaError.decode(file: path, what: "dataset '\(dataset)' has \(count) rows; rows \(range) requested")
        }
        let (shape, values) = try source.rows(range)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let per = shape.dropFirst().reduce(1, *)
            throw MediaError.decode(file: path, what: "latent \(range.lowerBound + bad / per) holds a non-finite value (\(values[bad]))")
        }
        let n = shape[0], d = width
        if let l = rows {
            return Tensor(shape: [n, nLatent, d]) { out in
                for i in 0..<n { for r in 0..<nLatent { for k in 0..<d { out[(i * nLatent + r) * d + k] = values[(i * l + r) * d + k] } } }
            }
        }
        return Tensor(shape: [n, nLatent, d]) { out in
            for i in 0..<n { for r in 0..<nLatent { for k in 0..<d { out[(i * nLatent + r) * d + k] = values[i * d + k] } } }
        }
    }
}
