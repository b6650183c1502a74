import Tensors

/// The samples of `source.rows` / `source.limit` as a source of their own: position `p` of the
/// run is sample `indices[p]` of the underlying source, and keeps that sample's index (its key,
/// its noise seed), so sample 17 is the same image whether it runs alone or among all.
public final class SelectedRows: LatentSource {
    let base: LatentSource
    let indices: [Int]

    /// Throws a config error naming `source.rows` for an index past the source's end.
    public init(_ base: LatentSource, selection: RowSelection, file: String) throws {
        self.base = base
        indices = selection.indices(count: base.count)
        if case .listed = selection, let past = indices.first(where: { $0 >= base.count }) {
            throw PipelineError.config(file: file, path: "source.rows", what: "sample \(past) is past the end of the source (\(base.count) samples: 0-\(base.count - 1))")
        }
    }

    public var count: Int { indices.count }
    public var alignment: Int { 0 }
    public func sampleIndex(_ row: Int) -> Int { indices[row] }

    public func read(_ rows: Range<Int>) throws -> Tensor {
        Tensor.concatenate(try runs(rows).map { try base.read($0) })
    }

    public func validate(_ rows: [Range<Int>]) throws { try base.validate(rows.flatMap(runs)) }

    /// The underlying index ranges of positions `rows`: consecutive samples read together.
    func runs(_ rows: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for p in rows {
            let i = indices[p]
            if let last = out.last, last.upperBound == i { out[out.count - 1] = last.lowerBound..<(i + 1) } else { out.append(i..<(i + 1)) }
        }
        return out
    }
}
