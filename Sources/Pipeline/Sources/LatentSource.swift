import Tensors

/// Where the latent codes come from. Row `i` is sample `sampleIndex(i)` (`i` itself unless a
/// selection of rows runs): its key, and so every output file name, is that index, whatever
/// the batching or partition.
public protocol LatentSource: AnyObject {
    /// Samples in the input.
    var count: Int { get }
    /// Rows per read that keep reads aligned to the storage (HDF5 chunk); 0 = any.
    var alignment: Int { get }
    /// W+ codes [n, L, D] of `rows`. Called by one thread, with increasing ranges.
    func read(_ rows: Range<Int>) throws -> Tensor
    /// Checks `rows` before anything is written (e.g. for NaN), reading them once.
    func validate(_ rows: [Range<Int>]) throws
    /// The sample index of row `row`.
    func sampleIndex(_ row: Int) -> Int
}

extension LatentSource {
    public func sampleIndex(_ row: Int) -> Int { row }
}

/// The rows of a source read in storage-aligned slabs of at least `minimum` rows within
/// `rows`: [a, b) with b on an alignment boundary where possible.
func alignedSlabs(_ rows: Range<Int>, alignment: Int, minimum: Int) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var a = rows.lowerBound
    while a < rows.upperBound {
        var b = a + max(minimum, 1)
        if alignment > 1 { b = (b + alignment - 1) / alignment * alignment }
        b = min(b, rows.upperBound)
        out.append(a..<b)
        a = b
    }
    return out
}
