import Foundation
import Tensors

/// `fixtures/ops`: stand-alone ops. Each output is recomputed from the inputs of its group
/// (`in.<group>.*`); sizes come from the tensors, never from constants of this fixture set.
enum OpsParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        let blur = (f.config["blur_kernel"] as? [Double])?.map(Float.init) ?? [1, 3, 3, 1]
        return f.outputs.map { e in
            do {
                guard let actual = try compute(e, folder: f, blur: blur) else {
                    return .failed(e.name, source: "-", tolerance: e.tolerance, note: "no known way to compute this output")
                }
                guard let expected = f.cases.tensors[e.name] else {
                    return .failed(e.name, source: "-", tolerance: e.tolerance, note: "missing from cases.safetensors")
                }
                return .compare(e.name, source: "-", actual: actual, expected: expected, tolerance: e.tolerance)
            } catch {
                return .failed(e.name, source: "-", tolerance: e.tolerance, note: "\(error)")
            }
        }
    }

    static func compute(_ e: FixtureFolder.Entry, folder f: FixtureFolder, blur: [Float]) throws -> Tensor? {
        let parts = e.name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let (group, op) = (parts[0], parts[1])
        func x() throws -> Tensor { try f.input("in.\(group).x") }
        let factor = 2

        switch (group, op) {
        case ("up", "y"):   // rosinality Upsample: p = k - factor; pad (p+1)/2 + factor - 1, p/2
            let p = blur.count - factor
            return Upfirdn2D(kernel: Upfirdn2D.makeKernel(blur, gain: Float(factor * factor)), up: factor,
                             pad: ((p + 1) / 2 + factor - 1, p / 2))(try x())
        case ("down", "y"): // rosinality Downsample: pad (p+1)/2, p/2; the fixture feeds it in.up.x
            let p = blur.count - factor
            let input = try f.inputIfPresent("in.down.x") ?? f.input("in.up.x")
            return Upfirdn2D(kernel: Upfirdn2D.makeKernel(blur), down: factor, pad: ((p + 1) / 2, p / 2))(input)
        case ("blur", "y"): // Blur after the stride-2 transposed 3x3 conv: p = (k - factor) - (3 - 1)
            let p = (blur.count - factor) - 2
            return Upfirdn2D(kernel: Upfirdn2D.makeKernel(blur, gain: Float(factor * factor)),
                             pad: ((p + 1) / 2 + factor - 1, p / 2 + 1))(try x())
        case ("generic", "y"):
            let g = GenericUpfirdn(meaning: e.meaning)
            return Upfirdn2D(kernel: try f.input("in.generic.kernel"), upX: g.upX, upY: g.upY, downX: g.downX,
                             downY: g.downY, padX0: g.padX0, padX1: g.padX1, padY0: g.padY0, padY1: g.padY1)(try x())
        default: break
        }
        if group == "flrelu" {
            // y4 -> x4,b4; y4_nobias -> x4; y3_lastaxis -> x3,b3 on the last axis
            let tag = op.dropFirst().prefix { $0.isNumber }
            let input = try f.input("in.flrelu.x\(tag)")
            let bias = op.hasSuffix("_nobias") ? nil : f.inputIfPresent("in.flrelu.b\(tag)")
            return FusedLeakyReLU.forward(input, bias: bias, axis: op.hasSuffix("_lastaxis") ? input.rank - 1 : 1)
        }
        if op == "coeffs" {   // torchvision's _get_perspective_coeffs(startpoints, endpoints)
            let (s, d) = try corners(group, f)
            return Tensor(shape: [8], values: Perspective.homography(from: s, to: d))
        }
        if op == "y_fill0" || op == "y_nofill" {  // TF.perspective(x, startpoints, endpoints)
            let (s, d) = try corners(group, f)
            let c = Perspective.samplingCoefficients(startpoints: s, endpoints: d)
            return Perspective.warp(try x(), coefficients: c, fill: op == "y_fill0" ? [0] : nil)
        }
        let out = e.shape
        guard out.count == 4 else { return nil }
        if (group.hasPrefix("bicubic") && (op == "y" || op == "y_aa")) || op.hasPrefix("bicubic") {
            return Resample.bicubic(try x(), height: out[2], width: out[3], antialias: op.hasSuffix("_aa"))
        }
        if op.hasPrefix("styleclip") {
            // StyleCLIP: Upsample(scale_factor=7) then AvgPool2d(height // 32)
            let input = try x()
            return Pool.nearestUpsampleThenAverage(input, factor: 7, kernel: max(1, input.shape[2] / 32))
        }
        if group.hasPrefix("adaptive") && op.hasPrefix("y") {
            return Pool.adaptiveAverage(try x(), height: out[2], width: out[3])
        }
        if op.hasPrefix("adaptive"), let size = Int(op.dropFirst("adaptive".count)) {
            // pooled to size x size; the fixture stores the top-left corner of the result
            let pooled = Pool.adaptiveAverage(try x(), height: size, width: size)
            return cropTopLeft(pooled, height: out[2], width: out[3])
        }
        return nil
    }

    static func corners(_ group: String, _ f: FixtureFolder) throws -> ([(x: Double, y: Double)], [(x: Double, y: Double)]) {
        let s = try f.input("in.\(group).startpoints").scalars, d = try f.input("in.\(group).endpoints").scalars
        let pts = { (v: [Float]) in (0..<4).map { (x: Double(v[2 * $0]), y: Double(v[2 * $0 + 1])) } }
        return (pts(s), pts(d))
    }

    static func cropTopLeft(_ x: Tensor, height: Int, width: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let src = x.scalars
        return Tensor(shape: [n, c, height, width]) { out in
            for p in 0..<(n * c) { for y in 0..<height { for xx in 0..<width {
                out[(p * height + y) * width + xx] = src[(p * h + y) * w + xx]
            } } }
        }
    }
}

/// The factors of the generic upfirdn2d case, read from its description
/// ("up=(up_x=2, up_y=1), down=(down_x=1, down_y=2), pad=(x0=2, x1=1, y0=1, y1=0)").
struct GenericUpfirdn {
    var upX = 1, upY = 1, downX = 1, downY = 1, padX0 = 0, padX1 = 0, padY0 = 0, padY1 = 0

    init(meaning: String) {
        func value(_ key: String) -> Int? {
            guard let r = meaning.range(of: key + "=") else { return nil }
            let rest = meaning[r.upperBound...]
            let digits = rest.prefix { $0 == "-" || $0.isNumber }
            return Int(digits)
        }
        upX = value("up_x") ?? 1; upY = value("up_y") ?? 1
        downX = value("down_x") ?? 1; downY = value("down_y") ?? 1
        padX0 = value("x0") ?? 0; padX1 = value("x1") ?? 0
        padY0 = value("y0") ?? 0; padY1 = value("y1") ?? 0
    }
}
