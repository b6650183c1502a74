import Tensors

/// The CLIP image tower and its CF-CLIP preprocessing on `Var`s: the weights are frozen, the
/// gradient flows to the image.
extension ResidualAttentionBlock {
    func callAsFunction(_ x: Var, causal: Bool) -> Var {
        let h1 = LayerNorm.forward(x, weight: ln1.weight, bias: ln1.bias)
        let qkv = Linear.forward(h1, weight: Var(attnInProjWeight), bias: Var(attnInProjBias))
        let a = Attention.forward(qkv: qkv, heads: heads, causal: causal)
        let y = Diff.add(x, Linear.forward(a, weight: Var(attnOutProj.weight), bias: Var(attnOutProj.bias)))
        let h2 = LayerNorm.forward(y, weight: ln2.weight, bias: ln2.bias)
        let m = QuickGELU.forward(Linear.forward(h2, weight: Var(cFc.weight), bias: Var(cFc.bias)))
        return Diff.add(y, Linear.forward(m, weight: Var(cProj.weight), bias: Var(cProj.bias)))
    }
}

extension VisionTransformer {
    public func callAsFunction(_ x: Var) -> Var {
        let n = x.shape[0], w = width, p = patchSize
        let conv = Conv2D(stride: p, padding: 0)
        let patches = conv.forward(x.value, weight: conv1)
        let g2 = patches.shape[2] * patches.shape[3], l = g2 + 1
        let weight = conv1
        let tok = taped(tokens(patches), x) { dt in
            // tokens 1... are the patches (channel-last) -> d patches [N, w, g, g] -> conv input grad
            let dv = dt.scalars
            let dpatch = Tensor(shape: patches.shape) { o in
                for b in 0..<n { for s in 0..<g2 { for c in 0..<w { o[(b * w + c) * g2 + s] = dv[(b * l + s + 1) * w + c] } } }
            }
            x.accumulate(conv.inputGradient(dpatch, weight: weight, inputShape: x.shape))
        }
        var h = LayerNorm.forward(tok, weight: lnPre.weight, bias: lnPre.bias)
        for block in transformer.resblocks { h = block(h, causal: false) }
        let cls = Diff.reshape(RowsOp.rows(h, 0..<1), [n, w])
        let post = LayerNorm.forward(cls, weight: lnPost.weight, bias: lnPost.bias)
        return Diff.matmul(post, proj)
    }
}

extension CLIPModel {
    public func encodeImage(_ images: Var) -> Var { visual(images) }
}

extension CLIPPreprocess {
    /// Differentiable `fromGenerator`: bicubic (no antialias), then (x+1)/2 and the CLIP mean/std
    /// as one per-channel affine (the taps sum to one, so the shift commutes with the resize and
    /// nothing runs at the generator's resolution but the resize).
    public static func fromGenerator(_ x: Var, resolution: Int = 224) -> Var {
        let h = x.shape[2], w = x.shape[3]
        let r = Resample.apply(x, rows: .bicubic(in: h, out: resolution), cols: .bicubic(in: w, out: resolution))
        return Diff.channelAffine(r, scale: std.map { 0.5 / $0 }, shift: zip(mean, std).map { (0.5 - $0) / $1 })
    }
}
