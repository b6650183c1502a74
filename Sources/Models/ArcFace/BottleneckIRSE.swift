import Tensors

/// `bottleneck_IR_SE(in, depth, stride)`: `res_layer(x) + shortcut_layer(x)` with
/// res_layer = 0 BN(in) -> 1 Conv3x3(in->depth, s1, p1) -> 2 PReLU(depth) ->
/// 3 Conv3x3(depth->depth, stride, p1) -> 4 BN(depth) -> 5 SE(depth), and shortcut
/// MaxPool2d(1, stride) (subsampling) when in == depth, else 0 Conv1x1(stride) -> 1 BN.
public struct BottleneckIRSE: Sendable {
    public let unit: BackboneConfig.Unit
    public let bn0: BatchNormLayer          // res_layer.0
    public let conv1: Tensor                // res_layer.1.weight [depth, in, 3, 3]
    public let prelu: Tensor                // res_layer.2.weight [depth]
    public let conv3: Tensor                // res_layer.3.weight [depth, depth, 3, 3]
    public let bn4: BatchNormLayer          // res_layer.4
    public let se: SEModule                 // res_layer.5
    public let shortcutConv: Tensor?        // shortcut_layer.0.weight [depth, in, 1, 1]
    public let shortcutBN: BatchNormLayer?  // shortcut_layer.1
    /// Winograd weights of the stride-1 convs on planes of `Winograd.minimumSide` and up
    /// (16/9 of their size, made once here: per call it would cost more than it saves)
    let conv1Winograd: Tensor?
    let conv3Winograd: Tensor?
    /// The same as packed point weights, for planes of at most 256 tiles (`WinogradRows`)
    let conv1Points: WinogradRows?
    let conv3Points: WinogradRows?
    /// Packed weights of the convs whose output is smaller than that (the 7x7 stage), and of the
    /// strided ones, which run as one product of patch rows (Conv2D.forward(_:packed:kernel:))
    let conv1Rows: PackedMatrix?
    let conv3Rows: PackedMatrix?

    /// `side`: the height and width of the unit's input.
    public init(_ r: WeightReader, _ key: String, _ u: BackboneConfig.Unit, side: Int) {
        unit = u
        let (cin, d) = (u.inChannel, u.depth)
        bn0 = BatchNormLayer(r, "\(key).res_layer.0", channels: cin)
        conv1 = r.tensor("\(key).res_layer.1.weight", [d, cin, 3, 3])
        prelu = r.tensor("\(key).res_layer.2.weight", [d])
        conv3 = r.tensor("\(key).res_layer.3.weight", [d, d, 3, 3])
        bn4 = BatchNormLayer(r, "\(key).res_layer.4", channels: d)
        se = SEModule(r, "\(key).res_layer.5", channels: d, reduced: u.seChannels)
        if u.hasShortcutConv {
            shortcutConv = r.tensor("\(key).shortcut_layer.0.weight", [d, cin, 1, 1])
            shortcutBN = BatchNormLayer(r, "\(key).shortcut_layer.1", channels: d)
        } else {
            shortcutConv = nil; shortcutBN = nil
        }
        let fast = side >= Winograd.minimumSide, outSide = (side - 1) / u.stride + 1
        let rows = WinogradRows.applies(cin: cin, cout: d, h: side, w: side)
        conv1Points = fast && rows ? WinogradRows(Winograd.pack(conv1)) : nil
        conv3Points = fast && rows && u.stride == 1 ? WinogradRows(Winograd.pack(conv3)) : nil
        conv1Winograd = fast && conv1Points == nil ? Winograd.pack(conv1) : nil
        conv3Winograd = fast && conv3Points == nil && u.stride == 1 ? Winograd.pack(conv3) : nil
        conv1Rows = fast ? nil : Conv2D.patchRowWeight(conv1)
        conv3Rows = outSide >= Winograd.minimumSide && u.stride == 1 ? nil : Conv2D.patchRowWeight(conv3)
    }

    /// x [N, in, H, W] -> [N, depth, H', W'] with H' = (H - 1) / stride + 1. Frozen weights:
    /// with a tape, gradients reach x. Without one the elementwise steps run in place.
    func callAsFunction(_ x: Var, columnBudget: Int = 1 << 21) -> Var {
        let s = unit.stride
        let same = Conv2D(stride: 1, padding: 1, columnBudget: columnBudget), strided = Conv2D(stride: s, padding: 1, columnBudget: columnBudget)
        var h = conv1Rows.map { same.forward(bn0(x), frozenWeight: conv1, rows: $0) }
            ?? conv1Points.map { same.forward(bn0(x), frozenWeight: conv1, points: $0) }
            ?? same.forward(bn0(x), frozenWeight: conv1, winograd: conv1Winograd)
        h = PReLU.forward(consume h, slope: prelu)
        h = conv3Rows.map { strided.forward(h, frozenWeight: conv3, rows: $0) }
            ?? conv3Points.map { strided.forward(h, frozenWeight: conv3, points: $0) }
            ?? strided.forward(h, frozenWeight: conv3, winograd: conv3Winograd)
        h = se(bn4(consume h))
        // a strided 1x1 conv reads every s-th pixel: subsample first, then one plain GEMM
        let sub = s == 1 ? x : MaxPool2D.forward(x, kernel: 1, stride: s)
        if let w = shortcutConv, let bn = shortcutBN {
            return Diff.add(consume h, bn(Conv2D().forward(sub, frozenWeight: w)))
        }
        return Diff.add(consume h, sub)
    }
}
