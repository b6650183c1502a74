import Tensors

/// An HDF5 file of latent codes: dataset `latents`, float32 [N, L, D] (W+) or [N, D] (W,
/// repeated to every layer), optional `ids`. Rows are read in slabs on demand.
public final class LatentFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    public let rows: Int?          // L for W+ files, nil for W
    public let width: Int
    public let dataset: String
    /// Rows per HDF5 chunk (nil when stored contiguously).
    public let chunkRows: Int?
    let file: HDF5File

    public init(path: String, dataset: String = "latents", allowExternalStorage: Bool = false) throws {
        self.path = path
        self.dataset = dataset
        file = try HDF5File(reading: path)
        try file.checkStoredValues(dataset, allowExternal: allowExternalStorage)
        let shape = try file.shape(of: dataset)
        guard shape.count == 2 || shape.count == 3 else {
            throw MediaError.decode(file: path, what: "dataset '\(dataset)' must be [N, L, D] (W+) or [N, D] (W), found shape \(Shape.text(shape))")
        }
        count = shape[0]
        rows = shape.count == 3 ? shape[1] : nil
        width = shape.last!
        chunkRows = try file.chunkRows(of: dataset)
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
        let (shape, values) = try file.readRows(dataset, range)
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
