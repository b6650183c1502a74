import Checkpoints
import Tensors

/// VGG16 / VGG19 convolutional features for perceptual losses, loaded from any key layout
/// (`VGGKeyLayout`); depth and widths are read from the weights. Inputs are already
/// preprocessed (see `VGGPreprocess`).
public struct VGG: Sendable {
    public struct Conv: Sendable {
        public let layer: VGGConvLayer
        public let weight: Tensor   // [out, in, 3, 3]
        public let bias: Tensor     // [out]
    }

    public let layout: VGGKeyLayout
    public let depth: VGGDepth
    public let convs: [Conv]
    /// Floats per im2col tile. 8 MB tiles stay cache- and allocator-friendly: VGG to relu5_2
    /// at 256² ran in ~275 ms with them against ~420 ms with Conv2D's 64 MB default (2 threads).
    public var columnBudget = 1 << 21

    public var widths: [Int] { convs.map { $0.weight.shape[0] } }

    /// Loads the convs under `prefix`, recognising the layout from `features.0.weight`,
    /// `conv1_1.weight` or `layer0.weight`, and the depth from the fourth conv of block 3
    /// (`features.16`, `conv3_4`, `layer16`: a conv in VGG19, a pool in VGG16). A torchvision
    /// classifier (`classifier.*`) is ignored; any other extra, missing or misshapen key is
    /// reported, all at once.
    public static func load(from dict: StateDict, prefix: String = "", source: String) throws -> VGG {
        let r = WeightReader(dict, prefix: prefix, source: source)
        guard let layout = [VGGKeyLayout.torchvision, .cfclip, .idinvert].first(where: { r.contains("\($0.key(VGGLayers.table[0])).weight") }) else {
            throw CheckpointError.mismatch(source: source, problems: [
                "no VGG weights under prefix '\(prefix)': expected '\(prefix)features.0.weight' (torchvision), "
                    + "'\(prefix)conv1_1.weight' (CF-CLIP vgg19_conv.pth) or '\(prefix)layer0.weight' (idinvert/TediGAN vgg16.pth)"])
        }
        let depth: VGGDepth = r.contains("\(layout.key(VGGLayers.table(.vgg19)[7])).weight") ? .vgg19 : .vgg16
        r.ignore { $0.hasPrefix("classifier.") }
        var convs: [Conv] = []
        var cin = 3
        for l in VGGLayers.table(depth) {
            let key = layout.key(l)
            let out = r.shape("\(key).weight")?.first ?? -1
            convs.append(Conv(layer: l, weight: r.tensor("\(key).weight", [out, cin, 3, 3]), bias: r.tensor("\(key).bias", [out])))
            cin = max(out, 0)
        }
        try r.finish()
        return VGG(layout: layout, depth: depth, convs: convs)
    }

    /// The ReLU outputs named in `outputs` (`relu1_2`, ..., `relu5_2`, or CF-CLIP's `r12`, ...)
    /// of images [N, 3, H, W]; runs only as deep as the deepest one asked for. Keys of the
    /// result are the names as given.
    public func features(_ x: Tensor, _ outputs: [String]) throws -> [String: Tensor] {
        try features(Var(x), outputs).mapValues(\.value)
    }

    /// `features` on `Var`s, its one definition: the convolutions are constants with no gradient
    /// buffers; with a tape, gradients reach the images. Without one each ReLU runs in place on
    /// its convolution's output.
    public func features(_ x: Var, _ outputs: [String]) throws -> [String: Var] {
        let (wanted, last) = try plan(x.shape, outputs)
        var out: [String: Var] = [:]
        guard last >= 0 else { return out }
        var h = x
        for i in 0...last {
            let c = convs[i]
            h = ReLU.forward(Conv2D(stride: 1, padding: 1, columnBudget: columnBudget).forward(h, frozenWeight: c.weight, bias: c.bias))
            for name in wanted[i] ?? [] { out[name] = h }
            if c.layer.endsBlock && i < last { h = MaxPool2D.forward(h, kernel: 2, stride: 2) }
        }
        return out
    }

    /// The output names per conv index and the deepest conv to run (-1 for none).
    func plan(_ shape: [Int], _ outputs: [String]) throws -> (wanted: [Int: [String]], last: Int) {
        guard shape.count == 4, shape[1] == convs[0].weight.shape[1] else {
            throw ModelError.invalidInput("\(depth.name) input must be [N, \(convs[0].weight.shape[1]), H, W], got \(Shape.text(shape))")
        }
        var wanted: [Int: [String]] = [:]
        for name in outputs {
            guard let i = VGGLayers.layer(named: name, in: convs.map(\.layer)) else {
                let last = convs.last!.layer
                throw ModelError.invalidInput("\(depth.name) has no layer '\(name)' (names: relu1_1 ... relu\(last.block)_\(last.index), r11 ... r\(last.block)\(last.index))")
            }
            wanted[i, default: []].append(name)
        }
        return (wanted, wanted.keys.max() ?? -1)
    }
}
