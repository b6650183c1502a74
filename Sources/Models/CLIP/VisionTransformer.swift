import Tensors

/// CLIP's `VisionTransformer` (`visual.*`): patch conv, class token, positional embedding,
/// ln_pre, transformer, ln_post of the class token, projection.
public struct VisionTransformer: Sendable {
    public let conv1: Tensor                  // conv1.weight [w, 3, p, p] (no bias)
    public let classEmbedding: Tensor         // [w]
    public let positionalEmbedding: Tensor    // [grid² + 1, w]
    public let lnPre: (weight: Tensor, bias: Tensor)
    public let transformer: CLIPTransformer
    public let lnPost: (weight: Tensor, bias: Tensor)
    public let proj: Tensor                   // [w, embed]
    let projPacked: PackedMatrix              // projᵀ: the whole tower then computes a sample the same in any batch
    let conv1Rows: PackedMatrix               // conv1 as [w, 3·p·p], for the image's patch rows

    public var width: Int { conv1.shape[0] }
    public var patchSize: Int { conv1.shape[2] }
    public var inputResolution: Int { Int(Double(positionalEmbedding.shape[0] - 1).squareRoot().rounded()) * patchSize }

    init(_ r: WeightReader, heads: Int?) {
        let cs = r.shape("visual.conv1.weight") ?? [0, 3, 1, 1]
        let w = cs[0], p = cs.count == 4 ? cs[2] : 1
        let tokens = r.shape("visual.positional_embedding")?.first ?? 1
        let embed = r.shape("visual.proj")?.last ?? 0
        conv1 = r.tensor("visual.conv1.weight", [w, 3, p, p])
        classEmbedding = r.tensor("visual.class_embedding", [w])
        positionalEmbedding = r.tensor("visual.positional_embedding", [tokens, w])
        lnPre = (r.tensor("visual.ln_pre.weight", [w]), r.tensor("visual.ln_pre.bias", [w]))
        transformer = CLIPTransformer(r, "visual.transformer", width: w, heads: heads ?? max(w / 64, 1))
        lnPost = (r.tensor("visual.ln_post.weight", [w]), r.tensor("visual.ln_post.bias", [w]))
        proj = r.tensor("visual.proj", [w, embed])
        projPacked = PackedMatrix(proj.transposed())
        conv1Rows = PackedMatrix(conv1.reshaped([w, 3 * p * p]))
    }

    /// Patch features [N·g², w] (channel-last, a sample's patches in raster order) -> tokens
    /// [N, g² + 1, w]: the class embedding first, then the patches, plus the positional embedding.
    func tokens(_ patches: Var, samples n: Int) -> Var {
        let w = width, g2 = patches.shape[0] / max(n, 1), l = g2 + 1
        let pv = patches.value.scalars, ce = classEmbedding.scalars, pe = positionalEmbedding.scalars
        let t = Tensor(shape: [n, l, w]) { t in
            for b in 0..<n {
                for c in 0..<w { t[(b * l) * w + c] = ce[c] + pe[c] }
                for s in 0..<g2 { for c in 0..<w { t[(b * l + s + 1) * w + c] = pv[(b * g2 + s) * w + c] + pe[(s + 1) * w + c] } }
            }
        }
        return taped(t, patches) { dt in
            // tokens 1... are the patches
            let dv = dt.scalars
            patches.accumulate(Tensor(shape: patches.shape) { o in
                for b in 0..<n { for s in 0..<g2 { for c in 0..<w { o[(b * g2 + s) * w + c] = dv[(b * l + s + 1) * w + c] } } }
            })
        }
    }

    /// The patch embedding `conv1` (stride = kernel = p, no bias): the image's patch rows times
    /// the weight in one product for the batch, channel-last [N·g², w].
    func patchEmbedding(_ x: Var) -> Var {
        let p = patchSize
        let rows = taped(Conv2D.disjointPatchRows(x.value, patch: p), x) { d in
            x.accumulate(Conv2D.disjointPatchRowsAdjoint(d, patch: p, imageShape: x.shape))
        }
        return Linear.forward(rows, packed: conv1Rows, bias: nil)
    }

    /// images [N, 3, R, R] (CLIP-normalised) -> features [N, embed]. `hook` gets `conv1`
    /// [N, w, g, g], `ln_pre` [N, L, w], `transformer.resblocks.i` [N, L, w], `ln_post` [N, w].
    public func callAsFunction(_ x: Tensor, hook: ((String, Tensor) -> Void)? = nil) -> Tensor {
        self(Var(x), hook: hook).value
    }

    /// The image tower, the one definition behind inference and training: the weights are
    /// frozen; with a tape, gradients reach the images.
    public func callAsFunction(_ x: Var, hook: ((String, Tensor) -> Void)? = nil) -> Var {
        let n = x.shape[0], r = inputResolution
        // a caller's bug, not bad input: the positional embedding would be read out of bounds
        guard x.shape.count == 4, x.shape[1] == 3, x.shape[2] == r, x.shape[3] == r else {
            fatalError("CLIP's image tower takes [N, 3, \(r), \(r)], got \(Shape.text(x.shape))")
        }
        let patches = patchEmbedding(x)
        if let hook {
            // the reference's layout, [N, w, g, g]
            let (w, g2) = (width, patches.shape[0] / max(n, 1)), g = r / patchSize, pv = patches.value.scalars
            hook("conv1", Tensor(shape: [n, w, g, g]) { o in
                for b in 0..<n { for s in 0..<g2 { for c in 0..<w { o[(b * w + c) * g2 + s] = pv[(b * g2 + s) * w + c] } } }
            })
        }
        let h0 = LayerNorm.forward(tokens(patches, samples: n), weight: lnPre.weight, bias: lnPre.bias)
        hook?("ln_pre", h0.value)
        // only the class token is read after the last block: without a hook to show its other
        // tokens, that block runs the class token alone (the same bytes)
        let cls = hook == nil ? transformer.firstToken(h0)
            : CLIPTransformer.firstTokenRows(transformer(h0, causal: false) { i, t in hook?("transformer.resblocks.\(i)", t) })
        let post = LayerNorm.forward(cls, weight: lnPost.weight, bias: lnPost.bias)
        hook?("ln_post", post.value)
        return Linear.forward(post, packed: projPacked, bias: nil)
    }
}
