/// The VGG19 convolution stack (torchvision cfg 'E'): 16 3x3 convs (padding 1) in five blocks of
/// 2, 2, 4, 4, 4, each conv followed by ReLU and each block by MaxPool 2x2. One table, two key
/// namings: torchvision's `features.N` (N counts conv, ReLU and pool modules) and CF-CLIP's
/// `conv{block}_{index}` (vgg19_conv.pth); the renaming is this table, nothing else.
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
    /// `features.{N}.weight|bias` (torchvision `vgg19().features`).
    case torchvision
    /// `conv{a}_{b}.weight|bias` (CF-CLIP's `VGG19_feature_color_torchversion`).
    case cfclip

    /// The key prefix of a layer's `.weight` / `.bias`.
    public func key(_ l: VGGConvLayer) -> String {
        switch self {
        case .torchvision: return "features.\(l.featuresIndex)"
        case .cfclip: return l.name
        }
    }
}

public enum VGG19Layers {
    /// (block, index, features.N, pool after); torchvision: conv at N, ReLU at N + 1, pools at 4,
    /// 9, 18, 27, 36.
    public static let table: [VGGConvLayer] = [
        (1, 1, 0, false), (1, 2, 2, true),
        (2, 1, 5, false), (2, 2, 7, true),
        (3, 1, 10, false), (3, 2, 12, false), (3, 3, 14, false), (3, 4, 16, true),
        (4, 1, 19, false), (4, 2, 21, false), (4, 3, 23, false), (4, 4, 25, true),
        (5, 1, 28, false), (5, 2, 30, false), (5, 3, 32, false), (5, 4, 34, true),
    ].map { VGGConvLayer(block: $0.0, index: $0.1, featuresIndex: $0.2, endsBlock: $0.3) }

    /// The released widths (64, 128, 256, 512, 512 per block).
    public static let releasedWidths = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]

    /// The conv whose ReLU output is called `name`: `relu4_2`, `r42` (CF-CLIP), `conv4_2`, or
    /// the torchvision module index of that ReLU (`22`).
    public static func layer(named name: String) -> Int? {
        if let i = table.firstIndex(where: { $0.reluName == name || $0.name == name }) { return i }
        if let n = Int(name) { return table.firstIndex { $0.featuresIndex + 1 == n } }
        if name.hasPrefix("r"), name.count == 3, let a = Int(String(Array(name)[1])), let b = Int(String(Array(name)[2])) {
            return table.firstIndex { $0.block == a && $0.index == b }
        }
        return nil
    }
}
