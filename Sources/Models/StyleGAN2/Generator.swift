import Checkpoints
import Tensors

/// rosinality's StyleGAN2 `Generator`: the attribute tree mirrors the checkpoint keys
/// (`style.1.weight`, `conv1.conv.modulation.weight`, `convs.3.noise.weight`, `to_rgbs.2.bias`,
/// `noises.noise_4`).
public struct Generator: Sendable {
    public let config: GeneratorConfig
    public let style: MappingNetwork
    public let input: Tensor                 // input.input [1, C4, 4, 4]
    public let conv1: StyledConv
    public let toRGB1: ToRGB
    public let convs: [StyledConv]           // pairs: upsampling conv, then conv, per resolution
    public let toRGBs: [ToRGB]
    public let noises: [Tensor?]             // noises.noise_i [1, 1, r, r]; nil where the file lacks it
    /// The checkpoint's `latent_avg` (truncation centre), when present.
    public let latentAvg: Tensor?

    /// Loads `prefix` (e.g. `g_ema.` or `decoder.`) of a state dict. Every missing key, wrong
    /// shape and unexpected key is reported at once. Blur/upsample kernel buffers are recomputed
    /// when missing; missing noise buffers are allowed only with `allowMissingNoise` (seeded noise).
    public static func load(from dict: StateDict, prefix: String, source: String,
                            blurKernel: [Float] = [1, 3, 3, 1], allowMissingNoise: Bool = false) throws -> Generator {
        let r = WeightReader(dict, prefix: prefix, source: source)
        guard let config = GeneratorConfig.infer(r) else {
            throw CheckpointError.mismatch(source: source, problems: [
                "no StyleGAN2 generator under prefix '\(prefix)' (needs '\(prefix)style.1.weight' and '\(prefix)input.input')"])
        }
        let g = Generator(r, config: config, blurKernel: blurKernel, allowMissingNoise: allowMissingNoise,
                          latentAvg: dict.tensors["latent_avg"])
        try r.finish()
        return g
    }

    init(_ r: WeightReader, config c: GeneratorConfig, blurKernel: [Float], allowMissingNoise: Bool, latentAvg: Tensor?) {
        config = c
        style = MappingNetwork(r, config: c)
        input = r.tensor("input.input", [1, c.channels[0], 4, 4])
        let upKernel = Upfirdn2D.makeKernel(blurKernel, gain: 4)
        let kn = blurKernel.count
        conv1 = StyledConv(r, "conv1", in: c.channels[0], out: c.channels[0], styleDim: c.styleDim, upsample: false, blurKernel: nil)
        toRGB1 = ToRGB(r, "to_rgb1", in: c.channels[0], styleDim: c.styleDim, upsampleKernel: nil)
        var convs: [StyledConv] = [], rgbs: [ToRGB] = []
        for j in 0..<(c.channels.count - 1) {
            let cin = c.channels[j], cout = c.channels[j + 1]
            let blur = r.optional("convs.\(2 * j).conv.blur.kernel", [kn, kn]) ?? upKernel
            convs.append(StyledConv(r, "convs.\(2 * j)", in: cin, out: cout, styleDim: c.styleDim, upsample: true, blurKernel: blur))
            convs.append(StyledConv(r, "convs.\(2 * j + 1)", in: cout, out: cout, styleDim: c.styleDim, upsample: false, blurKernel: nil))
            let up = r.optional("to_rgbs.\(j).upsample.kernel", [kn, kn]) ?? upKernel
            rgbs.append(ToRGB(r, "to_rgbs.\(j)", in: cout, styleDim: c.styleDim, upsampleKernel: up))
        }
        self.convs = convs; toRGBs = rgbs
        noises = (0..<c.numLayers).map { i in
            let s = c.noiseSize(i)
            return allowMissingNoise ? r.optional("noises.noise_\(i)", [1, 1, s, s]) : r.tensor("noises.noise_\(i)", [1, 1, s, s])
        }
        self.latentAvg = latentAvg
    }

    /// z [N, style_dim] -> w [N, style_dim].
    public func mapping(_ z: Tensor) -> Tensor { style(z) }

    /// `t + psi * (w - t)` for W [N, D] or W+ [N, L, D] against a [D] centre.
    public func truncate(_ w: Tensor, psi: Float, center: Tensor) -> Tensor {
        let d = config.styleDim
        precondition(center.count == d, "truncation centre has \(center.count) values, style_dim is \(d)")
        let t = center.scalars
        var out = w
        out.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = t[i % d] + psi * (p[i] - t[i % d]) } }
        return out
    }

    /// The stored `latent_avg` as a W code [D] (some files hold [1, D] or [L, D]: the first row),
    /// or nil when the file has none or too few values.
    public var latentAvgW: Tensor? {
        guard let avg = latentAvg, avg.count >= config.styleDim else { return nil }
        return Tensor(shape: [config.styleDim], values: Array(avg.scalars.prefix(config.styleDim)))
    }

    /// `mean_latent(samples)`: the mean W [D] of `samples` codes z ~ numpy `RandomState(seed)`,
    /// summed in double. The reference draws unseeded z; a seed makes the estimate repeatable.
    public func meanLatent(samples n: Int = 4096, seed: UInt32 = 0) -> Tensor {
        let d = config.styleDim
        var random = RandomState(seed: seed)
        let z = Tensor(shape: [n, d], values: (0..<(n * d)).map { _ in Float(random.gaussian()) })
        let w = mapping(z).scalars
        return Tensor(shape: [d], values: (0..<d).map { k in
            var s: Double = 0
            for i in 0..<n { s += Double(w[i * d + k]) }
            return Float(s / Double(n))
        })
    }

    /// W [N, D] repeated to W+ [N, n_latent, D].
    public func broadcast(_ w: Tensor) -> Tensor {
        let (n, d, l) = (w.shape[0], config.styleDim, config.nLatent)
        let v = w.scalars
        return Tensor(shape: [n, l, d]) { out in
            for i in 0..<n { for r in 0..<l { for k in 0..<d { out[(i * l + r) * d + k] = v[i * d + k] } } }
        }
    }

    /// Style mixing: rows [0, inject) from w1, [inject, n_latent) from w2 (both W [N, D]).
    public func mix(_ w1: Tensor, _ w2: Tensor, injectIndex: Int) -> Tensor {
        let (n, d, l) = (w1.shape[0], config.styleDim, config.nLatent)
        let a = w1.scalars, b = w2.scalars
        return Tensor(shape: [n, l, d]) { out in
            for i in 0..<n { for r in 0..<l { for k in 0..<d { out[(i * l + r) * d + k] = (r < injectIndex ? a : b)[i * d + k] } } }
        }
    }

    /// Off only in `cfclip-bench generator --compare-fused`: the last styled layer and its ToRGB
    /// run one after the other instead of in one pass (`StyledConv.intoRGB`).
    nonisolated(unsafe) public static var fuseLastToRGB = true

    /// Synthesis from W+ codes [N, n_latent, D] -> images [N, 3, size, size] (not clamped).
    /// `hook` receives intermediate outputs named as the reference modules (`conv1`, `to_rgb1`,
    /// `convs.0.conv`, `convs.0`, `to_rgbs.0`, ...). `convOutputs: false` leaves out the
    /// upsampling layers' `.conv` outputs, which they otherwise never materialise (per-layer timing).
    /// Without a hook a batch renders one sample after another through every layer: a sample's
    /// activations then stay in the cache between layers (at batch 4 layer by layer, each 1024²
    /// layer's 512 MB went through memory: 0.60 s per image instead of 0.56), and only one
    /// sample's are held at a time. The images are the same (no sample depends on its batch).
    public func synthesize(_ wplus: Tensor, noise: NoiseMode = .buffers, hook: ((String, Tensor) -> Void)? = nil,
                           convOutputs: Bool = true) throws -> Tensor {
        let n = wplus.shape.first ?? 0
        guard hook == nil, n > 1, wplus.rank == 3 else {
            return try synthesize(Var(wplus), noise: noise, hook: hook, convOutputs: convOutputs).value
        }
        // the batch's noise checked as a whole first (seeded noise by its count alone: making
        // every plane here would draw it all twice)
        if case let .seeded(seeds) = noise {
            try Self.checkSeeds(seeds, batch: n)
        } else {
            _ = try noisePlanes(noise, batch: n)
        }
        let images = try (0..<n).map { i in
            try synthesize(Var(wplus.slice(i..<(i + 1))), noise: sampleNoise(noise, i, of: n)).value
        }
        return Tensor.concatenate(images)
    }

    /// The synthesis network, the one definition behind inference and training. With a tape,
    /// gradients flow to `wplus` and to the generator tensors `params` binds (see
    /// `namedParameters`; bound values must equal the generator's own). Without one, nothing is
    /// recorded or kept and every layer runs in place as plain inference.
    public func synthesize(_ wplus: Var, noise: NoiseMode = .buffers, params: Parameters? = nil,
                           hook: ((String, Tensor) -> Void)? = nil, convOutputs: Bool = true) throws -> Var {
        let c = config
        guard wplus.shape.count == 3, wplus.shape[1] >= c.nLatent, wplus.shape[2] == c.styleDim else {
            throw ModelError.invalidInput("W+ codes must be [N, \(c.nLatent), \(c.styleDim)], got \(Shape.text(wplus.shape))")
        }
        let n = wplus.shape[0]
        let planes = try noisePlanes(noise, batch: n)
        let rows = (0..<c.nLatent).map { r in Diff.reshape(Diff.slice(wplus, axis: 1, r..<(r + 1)), [n, c.styleDim]) }
        var x = constantInput(batch: n, params: params)
        x = conv1(x, rows[0], noise: planes[0], params: params)
        hook?("conv1", x.value)
        var skip = toRGB1(x, rows[1], skip: nil, params: params)
        hook?("to_rgb1", skip.value)
        for j in 0..<toRGBs.count {
            let i = 1 + 2 * j
            let convHook: ((Tensor) -> Void)? = convOutputs ? hook.map { h in { h("convs.\(2 * j).conv", $0) } } : nil
            x = convs[2 * j](x, rows[i], noise: planes[i], params: params, convOutput: convHook)
            hook?("convs.\(2 * j)", x.value)
            if j == toRGBs.count - 1, hook == nil, params == nil, Self.fuseLastToRGB,
               let image = convs[2 * j + 1].intoRGB(x, rows[i + 1], noise: planes[i + 1], rgb: toRGBs[j], rows[i + 2], skip: skip) {
                return image   // the last layer's output is read by its ToRGB alone
            }
            x = convs[2 * j + 1](x, rows[i + 1], noise: planes[i + 1], params: params)
            hook?("convs.\(2 * j + 1)", x.value)
            skip = toRGBs[j](x, rows[i + 2], skip: skip, params: params)
            hook?("to_rgbs.\(j)", skip.value)
        }
        return skip
    }

    /// `input.input` repeated over the batch; its gradient is the sum over the batch.
    func constantInput(batch n: Int, params: Parameters?) -> Var {
        let bound = params?["input.input"]
        let src = (bound?.value ?? input).scalars, shape = input.shape
        let x = Tensor(shape: [n] + Array(shape.dropFirst())) { out in
            for i in 0..<out.count { out[i] = src[i % src.count] }
        }
        return taped(x, bound) { g in
            var sum = [Float](repeating: 0, count: src.count)
            g.withUnsafeBufferPointer { gp in for i in 0..<gp.count { sum[i % src.count] += gp[i] } }
            bound!.accumulate(Tensor(shape: shape, values: sum))
        }
    }

    /// The synthesis network's tensors under their checkpoint names, for `Parameters`: the
    /// constant input, then per styled layer its conv weight (as [out, in, k, k]), modulation,
    /// noise strength and bias, and per ToRGB its conv weight, modulation and bias ([3]). The
    /// mapping network, noise buffers and blur kernels are not trained.
    public var namedParameters: [(String, Tensor)] {
        var out: [(String, Tensor)] = [("input.input", input)]
        out += conv1.namedParameters + toRGB1.namedParameters
        for layer in convs { out += layer.namedParameters }
        for layer in toRGBs { out += layer.namedParameters }
        return out
    }

    /// Sample i's noise out of a batch of n (checked by `noisePlanes` first): the buffers and
    /// shared planes as they are, a per-sample plane or seed picked out.
    func sampleNoise(_ mode: NoiseMode, _ i: Int, of n: Int) -> NoiseMode {
        switch mode {
        case .buffers: return .buffers
        case let .explicit(list):
            return .explicit((0..<config.numLayers).map { l in
                let plane = config.noiseSize(l) * config.noiseSize(l), t = list[l]
                guard t.count == n * plane && n > 1 else { return t }
                return t.reshaped([n, plane]).slice(i..<(i + 1))
            })
        case let .seeded(seeds): return .seeded([seeds[i]])
        }
    }

    static func checkSeeds(_ seeds: [UInt64], batch: Int) throws {
        guard seeds.count == batch else { throw ModelError.invalidInput("\(seeds.count) noise seeds for a batch of \(batch)") }
    }

    func noisePlanes(_ mode: NoiseMode, batch: Int) throws -> [NoisePlane] {
        let c = config
        switch mode {
        case .buffers:
            let missing = noises.indices.filter { noises[$0] == nil }
            if !missing.isEmpty {
                throw ModelError.invalidInput("the checkpoint has no noise buffers for layers \(missing) "
                    + "(noises.noise_i); render with seeded noise instead")
            }
            return noises.map { NoisePlane($0!, batch: batch) }
        case let .explicit(list):
            guard list.count >= c.numLayers else {
                throw ModelError.invalidInput("\(list.count) noise tensors given, the generator has \(c.numLayers) layers")
            }
            return try (0..<c.numLayers).map { i in
                let s = c.noiseSize(i), t = list[i]
                guard t.count == s * s || t.count == batch * s * s else {
                    throw ModelError.invalidInput("noise \(i) has shape \(Shape.text(t.shape)), expected [1 or \(batch), 1, \(s), \(s)]")
                }
                return NoisePlane(t.reshaped([t.count / (s * s), s * s]), batch: batch)
            }
        case let .seeded(seeds):
            try Self.checkSeeds(seeds, batch: batch)
            return (0..<c.numLayers).map { i in
                let s = c.noiseSize(i)
                var values: [Float] = []
                values.reserveCapacity(batch * s * s)
                for seed in seeds { values += SeededNoise.gaussian(count: s * s, seed: SeededNoise.layerSeed(seed, layer: i)) }
                return NoisePlane(Tensor(shape: [batch, s * s], values: values), batch: batch)
            }
        }
    }
}
