import Editing
import Checkpoints
import Foundation
import Models
import Tensors

/// `fixtures/vgg19`: torchvision-normalised features `tv.relu{a}_{b}` and CF-CLIP-preprocessed
/// features `cf.r{a}{b}` of `in.x`, and the three `VGGLosses_fix` values `cf.loss.{fm,style,perc}`
/// of `in.x` against `in.y`, from every checkpoint file (either key layout).
enum VGGParity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        f.judge(perCheckpoint: f.checkpointFiles) { path in
            let vgg = try VGG.load(from: try StateDict.load(path), source: path)
            return try compute(f, vgg)
        }
    }

    static func compute(_ f: FixtureFolder, _ vgg: VGG) throws -> [String: Tensor] {
        let floats = { (key: String) in (f.config[key] as? [Double])?.map(Float.init) }
        let caffe = f.config["cfclip_preprocess"] as? [String: Any]
        var loss = PerceptualLoss(vgg: vgg)
        if let m = (caffe?["bgr_mean"] as? [Double])?.map(Float.init) { loss.bgrMean = m }
        if let s = caffe?["scale"] as? Double { loss.scale = Float(s) }

        let x = try f.input("in.x")
        let names = f.outputs.map(\.name)
        let tvNames = names.filter { $0.hasPrefix("tv.") }.map { String($0.dropFirst(3)) }
        let cfNames = names.filter { $0.hasPrefix("cf.") && !$0.hasPrefix("cf.loss.") }.map { String($0.dropFirst(3)) }
        var out: [String: Tensor] = [:]
        if !tvNames.isEmpty {
            let xn = VGGPreprocess.imagenet(x, mean: floats("imagenet_mean") ?? VGGPreprocess.imagenetMean,
                                            std: floats("imagenet_std") ?? VGGPreprocess.imagenetStd)
            for (k, v) in try vgg.features(xn, tvNames) { out["tv.\(k)"] = v }
        }
        if !cfNames.isEmpty {
            for (k, v) in try vgg.features(VGGPreprocess.caffe(x, bgrMean: loss.bgrMean, scale: loss.scale), cfNames) { out["cf.\(k)"] = v }
        }
        if names.contains(where: { $0.hasPrefix("cf.loss.") }) {
            let v = try loss(x, try f.input("in.y"))
            out["cf.loss.fm"] = Tensor(shape: [], values: [v.fm])
            out["cf.loss.style"] = Tensor(shape: [], values: [v.style])
            out["cf.loss.perc"] = Tensor(shape: [], values: [v.perc])
        }
        return out
    }
}
