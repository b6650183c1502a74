import Tensors

/// torchvision's `RandomPerspective(distortion_scale, p=1, fill=0)` parameter sampling: each
/// corner moves inward by up to `distortion_scale * half` the side, drawn in torchvision's order
/// (top-left, top-right, bottom-right, bottom-left; x then y). One warp per view is applied to
/// the whole batch, as one torchvision call on a batch tensor does. The draws come from the run's
/// own seeded generator (torch's stream cannot be reproduced; the distribution is the same).
public enum PerspectiveAugment {
    public static func sample(width w: Int, height h: Int, distortion d: Float, rng: inout RandomState) -> [Float] {
        let hw = w / 2, hh = h / 2
        let dx = Int(d * Float(hw)), dy = Int(d * Float(hh))
        func randint(_ lo: Int, _ hi: Int) -> Int { lo + min(Int(rng.randomSample() * Double(hi - lo)), hi - lo - 1) }
        let tl = (x: Double(randint(0, dx + 1)), y: Double(randint(0, dy + 1)))
        let tr = (x: Double(randint(w - dx - 1, w)), y: Double(randint(0, dy + 1)))
        let br = (x: Double(randint(w - dx - 1, w)), y: Double(randint(h - dy - 1, h)))
        let bl = (x: Double(randint(0, dx + 1)), y: Double(randint(h - dy - 1, h)))
        let start: [(x: Double, y: Double)] = [(0, 0), (Double(w - 1), 0), (Double(w - 1), Double(h - 1)), (0, Double(h - 1))]
        return Perspective.samplingCoefficients(startpoints: start, endpoints: [tl, tr, br, bl])
    }
}
