/// Where a latent file's rows come from: the HDF5 library in this process, or the same code in
/// a child process (`IsolatedLatentRows`), which a crash or hang of the library cannot take down.
protocol LatentRows: AnyObject, Sendable {
    var header: LatentHeader { get }
    /// Rows `range` of the dataset as float32, with the dataset's shape (leading axis = range.count).
    func rows(_ range: Range<Int>) throws -> (shape: [Int], values: [Float])
}

/// What a latent file holds, checked before any row is read.
struct LatentHeader: Equatable {
    var shape: [Int]
    var chunkRows: Int?
}

/// The rows read by the HDF5 library here: used by the reader child itself, by the fuzz
/// harness (which must see the library's crashes), and where `LatentFile` is told to.
final class InProcessLatentRows: LatentRows, @unchecked Sendable {
    let file: HDF5File
    let dataset: String
    let header: LatentHeader

    init(path: String, dataset: String, allowExternalStorage: Bool) throws {
        file = try HDF5File(reading: path)
        self.dataset = dataset
        try file.checkStoredValues(dataset, allowExternal: allowExternalStorage)
        header = LatentHeader(shape: try file.shape(of: dataset), chunkRows: try file.chunkRows(of: dataset))
    }

    func rows(_ range: Range<Int>) throws -> (shape: [Int], values: [Float]) {
        try file.readRows(dataset, range)
    }
}
