import Tensors

/// `ResidualAttentionBlock`: x + attn(ln_1(x)), then x + mlp(ln_2(x)) with mlp = c_fc ->
/// QuickGELU -> c_proj. Activations are batch-first [N, L, width] here; the reference's
/// sequence-first layout only changes where the batch axis sits.
public struct ResidualAttentionBlock: Sendable {
    // the four projections are packed at load (PackedMatrix): the towers run them on 50-77
    // token rows, where OpenBLAS repacked each weight on every call
    public let attnInProj: (weight: PackedMatrix, bias: Tensor)   // attn.in_proj_weight [3w, w], in_proj_bias [3w]
    public let attnOutProj: (weight: PackedMatrix, bias: Tensor)  // attn.out_proj [w, w], [w]
    public let ln1: (weight: Tensor, bias: Tensor)
    public let ln2: (weight: Tensor, bias: Tensor)
    public let cFc: (weight: PackedMatrix, bias: Tensor)          // mlp.c_fc [4w, w]
    public let cProj: (weight: PackedMatrix, bias: Tensor)        // mlp.c_proj [w, 4w]
    public let heads: Int

    init(_ r: WeightReader, _ p: String, width w: Int, heads: Int) {
        func packed(_ name: String, _ shape: [Int]) -> PackedMatrix { PackedMatrix(r.tensor(name, shape)) }
        attnInProj = (packed("\(p).attn.in_proj_weight", [3 * w, w]), r.tensor("\(p).attn.in_proj_bias", [3 * w]))
        attnOutProj = (packed("\(p).attn.out_proj.weight", [w, w]), r.tensor("\(p).attn.out_proj.bias", [w]))
        ln1 = (r.tensor("\(p).ln_1.weight", [w]), r.tensor("\(p).ln_1.bias", [w]))
        ln2 = (r.tensor("\(p).ln_2.weight", [w]), r.tensor("\(p).ln_2.bias", [w]))
        let hidden = r.shape("\(p).mlp.c_fc.weight")?.first ?? 4 * w
        cFc = (packed("\(p).mlp.c_fc.weight", [hidden, w]), r.tensor("\(p).mlp.c_fc.bias", [hidden]))
        cProj = (packed("\(p).mlp.c_proj.weight", [w, hidden]), r.tensor("\(p).mlp.c_proj.bias", [w]))
        self.heads = heads
    }

    /// x [N, L, w] -> [N, L, w]. The weights are frozen: with a tape, gradients reach x only.
    /// Without one, a caller that hands over its last reference to x gets the residuals added
    /// into x's buffer (Diff.add) instead of a copy.
    func callAsFunction(_ x: consuming Var, causal: Bool) -> Var {
        let h1 = LayerNorm.forward(x, weight: ln1.weight, bias: ln1.bias)
        let qkv = Linear.forward(h1, packed: attnInProj.weight, bias: attnInProj.bias)
        return residuals(consume x, attended: Attention.forward(qkv: qkv, heads: heads, causal: causal))
    }

    /// The block's output at the first token only, x [N, L, w] -> [N, w]: the image tower's last
    /// block, whose other tokens nothing reads. Every token still feeds the attention's keys and
    /// values; the output projection and the MLP, three quarters of the block, run on one row
    /// per sample. The bytes are `self(x)`'s first token: the attention is computed whole (its
    /// OpenBLAS products could sum a lone query row in another order) and each row of a packed
    /// product is the same chain of multiply-adds whatever rows are beside it.
    func firstToken(_ x: Var) -> Var {
        let first = CLIPTransformer.firstTokenRows
        let h1 = LayerNorm.forward(x, weight: ln1.weight, bias: ln1.bias)
        let qkv = Linear.forward(h1, packed: attnInProj.weight, bias: attnInProj.bias)
        return residuals(first(x), attended: first(Attention.forward(qkv: qkv, heads: heads, causal: false)))
    }

    /// x + out_proj(a), then that + mlp(ln_2(that)), on rows of any leading shape.
    private func residuals(_ x: consuming Var, attended a: Var) -> Var {
        let y = Diff.add(consume x, Linear.forward(a, packed: attnOutProj.weight, bias: attnOutProj.bias))
        let h2 = LayerNorm.forward(y, weight: ln2.weight, bias: ln2.bias)
        // inference applies QuickGELU to each panel of c_fc as it is done, in the cache (same
        // bytes); a tape keeps c_fc's output for the backward
        let m = h2.needsGrad ? QuickGELU.forward(Linear.forward(h2, packed: cFc.weight, bias: cFc.bias))
            : Var(Linear.forward(h2.value, packed: cFc.weight, bias: cFc.bias, activation: .quickGELU))
        return Diff.add(consume y, Linear.forward(m, packed: cProj.weight, bias: cProj.bias))
    }
}

/// `Transformer`: `resblocks.0 ... resblocks.{layers-1}`.
public struct CLIPTransformer: Sendable {
    public let resblocks: [ResidualAttentionBlock]

    init(_ r: WeightReader, _ p: String, width: Int, heads: Int) {
        var blocks: [ResidualAttentionBlock] = []
        while r.contains("\(p).resblocks.\(blocks.count).ln_1.weight") {
            blocks.append(ResidualAttentionBlock(r, "\(p).resblocks.\(blocks.count)", width: width, heads: heads))
        }
        resblocks = blocks
    }

    func callAsFunction(_ x: Var, causal: Bool, hook: ((Int, Tensor) -> Void)? = nil) -> Var {
        var h = x
        for (i, b) in resblocks.enumerated() {
            h = b(consume h, causal: causal)
            hook?(i, h.value)
        }
        return h
    }

    /// The last block's output at the first token, [N, L, w] -> [N, w]
    /// (`ResidualAttentionBlock.firstToken`); bidirectional attention only.
    func firstToken(_ x: Var) -> Var {
        guard let last = resblocks.last else { return Self.firstTokenRows(x) }
        var h = x
        for b in resblocks.dropLast() { h = b(consume h, causal: false) }
        return last.firstToken(h)
    }

    /// x[:, 0, :] of [N, L, w], as [N, w].
    static func firstTokenRows(_ x: Var) -> Var {
        Diff.reshape(Diff.slice(x, axis: 1, 0..<1), [x.shape[0], x.shape[2]])
    }
}
