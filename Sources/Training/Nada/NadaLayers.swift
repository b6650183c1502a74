import Models

/// StyleGAN-NADA's view of a rosinality generator: its trainable layers by module name
/// (`input`, `conv1`, `to_rgb1`, `convs.3`, `to_rgbs.1`) and the tensors each one holds.
public enum NadaLayers {
    /// `idx_to_layer` of `determine_opt_layers`: `[conv1, to_rgb1, convs...]`. A W+ index chosen
    /// by the selection names the layer at the same position (not the layer that reads that W
    /// row: the reference maps indices this way, and so does this).
    public static func selectable(_ c: GeneratorConfig) -> [String] {
        ["conv1", "to_rgb1"] + (0..<(2 * (c.channels.count - 1))).map { "convs.\($0)" }
    }

    /// `get_training_layers(phase)` of `SG2Generator` (children: style, input, conv1, to_rgb1,
    /// convs, upsamples, to_rgbs, noises). `all` lists every synthesis layer: the mapping network
    /// is trainable there too, but the trainable twin never runs it (w comes from the frozen one),
    /// so it gets no gradient and Adam leaves it alone.
    public static func phase(_ phase: NadaPhase?, _ c: GeneratorConfig) -> [String] {
        let convs = (0..<(2 * (c.channels.count - 1))).map { "convs.\($0)" }
        let head = ["input", "conv1"]
        switch phase {
        case nil: return head + convs
        case .texture: return head + Array(convs[min(2, convs.count)..<min(10, convs.count)])
        case .shape: return head + Array(convs.prefix(2))
        case .noFine: return head + Array(convs.prefix(10))
        case .shapeExpanded: return head + Array(convs.prefix(3))
        case .all: return ["input", "conv1", "to_rgb1"] + convs + (0..<(c.channels.count - 1)).map { "to_rgbs.\($0)" }
        }
    }

    /// The parameter names (checkpoint keys) of a layer, in the module's registration order.
    public static func parameters(of layer: String) -> [String] {
        if layer == "input" { return ["input.input"] }
        if layer == "to_rgb1" || layer.hasPrefix("to_rgbs.") {
            return ["\(layer).bias", "\(layer).conv.weight", "\(layer).conv.modulation.weight", "\(layer).conv.modulation.bias"]
        }
        return ["\(layer).conv.weight", "\(layer).conv.modulation.weight", "\(layer).conv.modulation.bias",
                "\(layer).noise.weight", "\(layer).activate.bias"]
    }
}

/// `--phase` of the reference (`None` trains the constant input, conv1 and every conv).
public enum NadaPhase: String, Sendable, CaseIterable, Codable {
    case texture, shape, all
    case noFine = "no_fine"
    case shapeExpanded = "shape_expanded"
}
