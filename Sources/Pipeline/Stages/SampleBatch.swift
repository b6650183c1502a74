import Tensors

/// The unit that flows from stage to stage: consecutive samples of one shard (never two),
/// filled in as it goes (codes, edited codes, images, scores). Everything is keyed by the
/// global row, so a batch's size only changes how work is grouped, never what is written.
struct SampleBatch: @unchecked Sendable {
    let shard: Int
    /// Rows of the run (positions in the source, shards are cut from them).
    let rows: Range<Int>
    /// The sample index of each row (its key, its noise seed): the row itself unless
    /// `source.rows` selects samples.
    let indices: [Int]
    /// The shard is complete after this batch.
    let lastOfShard: Bool
    /// When the reader started on this batch's shard (for the shard's wall time).
    let shardStarted: Double
    /// Busy seconds of each stage on this batch, summed per shard by the writer.
    var timings: [String: Double] = [:]

    var latents: Tensor                 // W+ [n, L, D]
    var edited: [Tensor] = []           // per edit, W+ [n, L, D]
    /// Per edit and sample, the loss of every optimisation step (empty for other methods).
    var losses: [[[Float]]] = []
    var sourceImages: Tensor? = nil     // [n, 3, H, W] in [-1, 1]
    var editImages: [Tensor] = []       // per edit
    /// scores[edit][sample][metric name]
    var scores: [[[String: Float]]] = []
}

/// A sample ready for the shard: its files (in archive order) and its metrics lines.
struct EncodedSample: Sendable {
    let index: Int
    let key: String
    let files: [(name: String, bytes: [UInt8])]
    let metricsLines: [String]
}

struct EncodedBatch: Sendable {
    let shard: Int
    let rows: Range<Int>
    let lastOfShard: Bool
    let shardStarted: Double
    var timings: [String: Double]
    let samples: [EncodedSample]
}

/// The stable name of sample `index` in every output: nine digits, no dots (WebDataset keys
/// end at the first dot).
public func sampleKey(_ index: Int) -> String {
    let digits = String(index)
    return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
}

/// `f` applied to each sample of a batch [n, ...] separately, results stacked.
///
/// Models run one sample at a time on purpose: BLAS kernels sum in an order that depends on
/// the matrix shape (edge kernels for leftover rows), so a sample computed in a batch of 3
/// can differ in the last bit from the same sample in a batch of 4, and then a pixel
/// rounds the other way. One sample per call makes every output bit-identical whatever the
/// batch size or partition; the batch stays the unit the queues move.
func perSample(_ x: Tensor, _ f: (Tensor) throws -> Tensor) rethrows -> Tensor {
    let n = x.shape[0]
    if n == 1 { return try f(x) }
    return Tensor.concatenate(try (0..<n).map { try f(x.slice($0..<($0 + 1))) })
}
