import Foundation
import Models
import Tensors

/// CF-CLIP's CLIP-NCE loss (`criteria/nce_loss.py` + `infonce.py`), on CLIP embeddings that are
/// already L2-normalised: the query is the normalised direction from source to edited image; each
/// query row is scored against one positive and the 79 negatives, twice — once with the text
/// direction K_T+ as positive, once with K_I+ (target text mean minus the source image) — and the
/// negatives come from the FIRST source image only, as the official code does. τ = 0.1; the loss
/// averages the 2n cross-entropy rows, i.e. (L_T + L_I) / 2.
public struct CLIPNCELoss: Sendable {
    public var temperature: Float = 0.1

    /// The intermediate vectors and the loss (names follow the fixture's `nce.*` tensors).
    public struct Result: Sendable {
        public var query: Tensor            // [n, E]
        public var posTextDirection: Tensor // [1, E]
        public var posImageToText: Tensor   // [n, E]
        public var negatives: Tensor        // [J, E]
        public var targetTextMean: Tensor   // [1, E]
        public var logits: Tensor           // [2n, 1 + J], already divided by τ
        public var crossEntropy: Tensor     // [2n]
        public var lossText: Float          // L_T
        public var lossImage: Float         // L_I
        public var loss: Float { (lossText + lossImage) / 2 }
    }

    public init(temperature: Float = 0.1) { self.temperature = temperature }

    /// `sourceImage` / `editedImage`: normalised embeddings of the (repeated) source renders and
    /// the (augmented) edited renders, row-aligned [n, E]; `sourceText` / `targetText`: normalised
    /// template embeddings [J, E] of the source word and of the description.
    public func callAsFunction(sourceImage: Tensor, editedImage: Tensor, sourceText: Tensor, targetText: Tensor) -> Result {
        let (n, e) = (sourceImage.shape[0], sourceImage.shape[1]), j = sourceText.shape[0]
        let query = l2Normalized(editedImage - sourceImage)
        let tMean = meanRows(targetText)
        let posText = l2Normalized(meanRows(targetText - sourceText))
        let posImage = l2Normalized(tMean.broadcastRows(n) - sourceImage)
        let neg = l2Normalized(sourceText - sourceImage.slice(0..<1).broadcastRows(j))
        let negScores = query.matmul(neg, transposeOther: true)          // [n, J]
        let textScores = query.matmul(posText, transposeOther: true)     // [n, 1]
        let q = query.scalars, pi = posImage.scalars, ns = negScores.scalars, ts = textScores.scalars
        var logits = [Float](repeating: 0, count: 2 * n * (1 + j))
        for r in 0..<(2 * n) {
            let i = r % n
            var pos: Float = 0
            if r < n { pos = ts[i] } else { for k in 0..<e { pos += q[i * e + k] * pi[i * e + k] } }
            logits[r * (1 + j)] = pos / temperature
            for k in 0..<j { logits[r * (1 + j) + 1 + k] = ns[i * j + k] / temperature }
        }
        var ce = [Float](repeating: 0, count: 2 * n)
        for r in 0..<(2 * n) {
            let row = logits[(r * (1 + j))..<((r + 1) * (1 + j))]
            let m = row.max()!
            let lse = m + log(row.reduce(Float(0)) { $0 + exp($1 - m) })
            ce[r] = lse - row.first!
        }
        let lt = ce[0..<n].reduce(0, +) / Float(n), li = ce[n...].reduce(0, +) / Float(n)
        return Result(query: query, posTextDirection: posText, posImageToText: posImage, negatives: neg,
                      targetTextMean: tMean, logits: Tensor(shape: [2 * n, 1 + j], values: logits),
                      crossEntropy: Tensor(shape: [2 * n], values: ce), lossText: lt, lossImage: li)
    }
}

/// StyleGAN-NADA's directional CLIP loss: mean_b (1 - cos(dI_b, dT)), dI = normalise(E(edit) -
/// E(source)) on normalised image embeddings, dT the template-averaged text direction.
public struct DirectionalCLIPLoss: Sendable {
    public init() {}
    public func callAsFunction(sourceImage: Tensor, editedImage: Tensor, sourceText: Tensor, targetText: Tensor) -> Float {
        let dI = l2Normalized(editedImage - sourceImage)
        let dT = l2Normalized(meanRows(targetText - sourceText))
        let cos = dI.matmul(dT, transposeOther: true).scalars
        return cos.reduce(0) { $0 + (1 - $1) } / Float(cos.count)
    }
}

/// StyleCLIP's global CLIP loss: mean_b (1 - logits_per_image[b] / 100), i.e. 1 - cos(E_I, E_T)
/// with the trained logit scale of 100, on StyleCLIP's own preprocessing.
public struct GlobalCLIPLoss: Sendable {
    public init() {}
    public func callAsFunction(imageFeatures: Tensor, textFeatures: Tensor, logitScale: Float) -> Float {
        let logits = l2Normalized(imageFeatures).matmul(l2Normalized(textFeatures), transposeOther: true).scalars
        let s = expf(logitScale)
        return logits.reduce(0) { $0 + (1 - $1 * s / 100) } / Float(logits.count)
    }
}

/// `MSE(w_hat, w)`: mean over every element.
public func meanSquaredError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "mse: \(a.shape) vs \(b.shape)")
    return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            var s: Double = 0
            for i in 0..<pa.count { let d = Double(pa[i] - pb[i]); s += d * d }
            return Float(s / Double(max(pa.count, 1)))
        }
    }
}

/// Mean of the rows of [J, E] as [1, E].
func meanRows(_ x: Tensor) -> Tensor {
    let (j, e) = (x.shape[0], x.shape[1]), v = x.scalars
    var m = [Float](repeating: 0, count: e)
    for r in 0..<j { for k in 0..<e { m[k] += v[r * e + k] } }
    return Tensor(shape: [1, e], values: m.map { $0 / Float(j) })
}

extension Tensor {
    /// [1, E] repeated to [n, E].
    func broadcastRows(_ n: Int) -> Tensor {
        let v = scalars
        return Tensor(shape: [n, v.count]) { out in for r in 0..<n { for k in 0..<v.count { out[r * v.count + k] = v[k] } } }
    }

    static func - (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "subtract: \(a.shape) - \(b.shape)")
        var out = a
        out.withUnsafeMutableBufferPointer { o in b.withUnsafeBufferPointer { bp in for i in 0..<o.count { o[i] -= bp[i] } } }
        return out
    }
}

// MARK: differentiable losses

extension CLIPNCELoss {
    /// The loss on `Var`s (image embeddings normalised, text embeddings constant), built from
    /// differentiable row ops so its backward is theirs.
    public func loss(sourceImage: Var, editedImage: Var, sourceText: Tensor, targetText: Tensor) -> Var {
        let n = sourceImage.shape[0], j = sourceText.shape[0]
        let q = Diff.l2Normalize(Diff.sub(editedImage, sourceImage))
        let posText = Var(l2Normalized(meanRows(targetText - sourceText)))
        let posImage = Diff.l2Normalize(Diff.sub(Diff.repeatRows(Var(meanRows(targetText)), n), sourceImage))
        let neg = Diff.l2Normalize(Diff.sub(Var(sourceText), Diff.repeatRows(Diff.slice(sourceImage, 0..<1), j)))
        let negScores = Diff.matmulTransposed(q, neg)
        let top = Diff.concatColumns(Diff.matmulTransposed(q, posText), negScores)
        let bottom = Diff.concatColumns(Diff.rowDot(q, posImage), negScores)
        let logits = Diff.affine(Diff.concatenate([top, bottom]), scale: 1 / temperature)
        return Diff.crossEntropyFirstColumn(logits).mean
    }
}

extension DirectionalCLIPLoss {
    public func loss(sourceImage: Var, editedImage: Var, sourceText: Tensor, targetText: Tensor) -> Var {
        let dI = Diff.l2Normalize(Diff.sub(editedImage, sourceImage))
        let dT = Var(l2Normalized(meanRows(targetText - sourceText)))
        let cos = Diff.matmulTransposed(dI, dT)                       // [n, 1]
        return Diff.affine(Diff.sum(cos), scale: -1 / Float(cos.shape[0]), shift: 1)
    }
}

extension GlobalCLIPLoss {
    public func loss(imageFeatures: Var, textFeatures: Tensor, logitScale: Float) -> Var {
        let cos = Diff.matmulTransposed(Diff.l2Normalize(imageFeatures), Var(l2Normalized(textFeatures)))
        let k = expf(logitScale) / 100
        return Diff.affine(Diff.sum(cos), scale: -k / Float(cos.value.count), shift: 1)
    }
}
