import Checkpoints
import Tensors

/// The sizes of a CLIP ViT model, for building seeded random models (benchmarks, demo assets).
public struct CLIPConfig: Sendable {
    public var embedDim = 512
    public var imageResolution = 224
    public var visionLayers = 12, visionWidth = 768, visionPatch = 32
    public var contextLength = 77, vocabSize = 49408
    public var textWidth = 512, textLayers = 12

    public init() {}

    /// ViT-B/32 as released.
    public static let vitB32 = CLIPConfig()
    /// ViT-B/16 as released (14 x 14 patches + the class token: 197 tokens).
    public static let vitB16: CLIPConfig = { var c = CLIPConfig(); c.visionPatch = 16; return c }()

    public var stateDictShapes: [(name: String, shape: [Int])] {
        let grid = imageResolution / visionPatch
        var out: [(String, [Int])] = [
            ("positional_embedding", [contextLength, textWidth]), ("text_projection", [textWidth, embedDim]), ("logit_scale", []),
            ("visual.class_embedding", [visionWidth]), ("visual.positional_embedding", [grid * grid + 1, visionWidth]),
            ("visual.proj", [visionWidth, embedDim]), ("visual.conv1.weight", [visionWidth, 3, visionPatch, visionPatch]),
            ("visual.ln_pre.weight", [visionWidth]), ("visual.ln_pre.bias", [visionWidth]),
        ]
        func blocks(_ p: String, _ layers: Int, _ w: Int) {
            for i in 0..<layers {
                let b = "\(p).resblocks.\(i)"
                out += [("\(b).attn.in_proj_weight", [3 * w, w]), ("\(b).attn.in_proj_bias", [3 * w]),
                        ("\(b).attn.out_proj.weight", [w, w]), ("\(b).attn.out_proj.bias", [w]),
                        ("\(b).ln_1.weight", [w]), ("\(b).ln_1.bias", [w]),
                        ("\(b).mlp.c_fc.weight", [4 * w, w]), ("\(b).mlp.c_fc.bias", [4 * w]),
                        ("\(b).mlp.c_proj.weight", [w, 4 * w]), ("\(b).mlp.c_proj.bias", [w]),
                        ("\(b).ln_2.weight", [w]), ("\(b).ln_2.bias", [w])]
            }
        }
        blocks("visual.transformer", visionLayers, visionWidth)
        out += [("visual.ln_post.weight", [visionWidth]), ("visual.ln_post.bias", [visionWidth])]
        blocks("transformer", textLayers, textWidth)
        out += [("token_embedding.weight", [vocabSize, textWidth]), ("ln_final.weight", [textWidth]), ("ln_final.bias", [textWidth])]
        return out
    }

    /// Seeded random weights with the reference's scales (std 0.02 embeddings, width^-0.5
    /// projections, LayerNorm weight 1), logit_scale ln(100).
    public func randomStateDict(seed: UInt64) -> StateDict {
        var dict = StateDict(source: "random CLIP (seed \(seed))")
        for (i, (name, shape)) in stateDictShapes.enumerated() {
            let n = shape.reduce(1, *)
            let t: Tensor
            if name == "logit_scale" {
                t = Tensor(shape: [], values: [Float(100).logValue])
            } else if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name.contains("ln_") && name.hasSuffix(".weight") {
                t = Tensor(repeating: 1, shape: shape)
            } else if name.hasSuffix("bias") {
                t = Tensor(zeros: shape)
            } else {
                let fanIn = Float(shape.last ?? 1)
                let g = SeededNoise.gaussian(count: n, seed: seed &+ UInt64(i) &* 104_729)
                let s: Float = name.contains("embedding") ? 0.02 : 1 / fanIn.squareRoot()
                t = Tensor(shape: shape, values: g.map { $0 * s })
            }
            dict.insert(name, StoredTensor(t))
        }
        return dict
    }
}

extension Float {
    var logValue: Float { logf(self) }
}

#if canImport(Glibc)
import Glibc
#endif
