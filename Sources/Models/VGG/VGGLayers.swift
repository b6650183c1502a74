/// The VGG convolution stacks (torchvision cfg 'D' = VGG16 and 'E' = VGG19): 3x3 convs
/// (padding 1) in five blocks, each conv followed by ReLU and each block by MaxPool 2x2. One
/// table per depth, three key namings: torchvision's `features.N` (N counts conv, ReLU and
/// pool modules), CF-CLIP's `conv{block}_{index}` (vgg19_conv.pth) and idinvert/TediGAN's
/// `layerN` (vgg16.pth, the same N as torchvision); the renaming is this table, nothing else.
public struct VGGConvLayer: Sendable, Equatable {
    public let block: Int           // 1...5
    public let index: Int           // position in the block, from 1
    public let featuresIndex: Int   // torchvision `features.N` of the conv; its ReLU is N + 1
    public let endsBlock: Bool      // a MaxPool follows its ReLU

    /// `conv4_2`
    public var name: String { "conv\(block)_\(index)" }
    /// `relu4_2`, the output name used throughout (CF-CLIP calls it `r42`)
    public var reluName: String { "relu\(block)_\(index)" }
}

public enum VGGKeyLayout: String, Sendable {
    /// `features.{N}.weight|bias` (torchvision `vgg16().features` / `vgg19().features`).
    case torchvision
    /// `conv{a}_{b}.weight|bias` (CF-CLIP's `VGG19_feature_color_torchversion`).
    case cfclip
    /// `layer{N}.weight|bias` (idinvert's `VGG16` as TediGAN loads `vgg16.pth`).
    case idinvert

    /// The key prefix of a layer's `.weight` / `.bias`.
    public func key(_ l: VGGConvLayer) -> String {
        switch self {
        case .torchvision: return "features.\(l.featuresIndex)"
        case .cfclip: return l.name
        case .idinvert: return "layer\(l.featuresIndex)"
        }
    }
}

/// VGG16 or VGG19: convs per block 2, 2, 3, 3, 3 or 2, 2, 4, 4, 4.
public enum VGGDepth: Int, Sendable {
    case vgg16 = 16, vgg19 = 19

    public var convsPerBlock: [Int] { self == .vgg16 ? [2, 2, 3, 3, 3] : [2, 2, 4, 4, 4] }
    public var name: String { "VGG\(rawValue)" }
}

public enum VGGLayers {
    /// The convs of a depth; torchvision numbers conv, ReLU and (after each block) pool modules
    /// in one sequence, so VGG19's pools are at 4, 9, 18, 27, 36 and VGG16's at 4, 9, 16, 23, 30.
    public static func table(_ depth: VGGDepth) -> [VGGConvLayer] {
        var layers: [VGGConvLayer] = [], n = 0
        for (b, count) in depth.convsPerBlock.enumerated() {
            for i in 1...count {
                layers.append(VGGConvLayer(block: b + 1, index: i, featuresIndex: n, endsBlock: i == count))
                n += i == count ? 3 : 2
            }
        }
        return layers
    }

    /// VGG19's table (CF-CLIP's perceptual network).
    public static let table = table(.vgg19)

    /// The released widths (64, 128, 256, 512, 512 per block).
    public static func releasedWidths(_ depth: VGGDepth) -> [Int] {
        zip([64, 128, 256, 512, 512], depth.convsPerBlock).flatMap { Array(repeating: $0, count: $1) }
    }
    public static let releasedWidths = releasedWidths(.vgg19)

    /// The conv whose ReLU output is called `name` in `table`: `relu4_2`, `r42` (CF-CLIP),
    /// `conv4_2`, or the torchvision module index of that ReLU (`22`).
    public static func layer(named name: String, in table: [VGGConvLayer] = table) -> Int? {
        if let i = table.firstIndex(where: { $0.reluName == name || $0.name == name }) { return i }
        if let n = Int(name) { return table.firstIndex { $0.featuresIndex + 1 == n } }
        if name.hasPrefix("r"), name.count == 3, let a = Int(String(Array(name)[1])), let b = Int(String(Array(name)[2])) {
            return table.firstIndex { $0.block == a && $0.index == b }
        }
        return nil
    }
}
