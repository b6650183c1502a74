import Checkpoints
import Models
import Tensors

/// The trainable twin of StyleGAN-NADA: a rosinality generator's state dict (keys without the
/// file's prefix, shapes as stored) whose synthesis tensors change, and the generator built
/// from it. Every key the file had is kept, so the written `g_ema` loads strictly wherever the
/// original did.
public struct TrainableGenerator: Sendable {
    public private(set) var state: StateDict
    public private(set) var generator: Generator
    /// The checkpoint's `latent_avg`, written back beside `g_ema`.
    public let latentAvg: Tensor?

    /// `dict` as `StateDict.load` gives it; the generator is found under any known prefix.
    public init(_ dict: StateDict, source: String) throws {
        let prefix = try Generator.prefix(in: dict, source: source)
        // bare keys: everything but the truncation centre, which is written beside `g_ema`
        var state = StateDict(source: source)
        let selected = dict.selecting(prefix: prefix)
        for name in selected.names where !(prefix.isEmpty && name == "latent_avg") {
            if let t = selected.stored(name) { state.insert(name, t) }
        }
        self.state = state
        generator = try Generator.load(from: state, prefix: "", source: source)
        latentAvg = dict.tensors["latent_avg"]
    }

    /// The current value of a parameter, as the checkpoint stores it.
    public func value(_ name: String) -> Tensor? { state[name] }

    /// Replaces parameters (checkpoint names; any shape with the stored count) and rebuilds the
    /// generator, whose precomputed weight forms follow the new values.
    public mutating func update(_ values: [(String, Tensor)]) throws {
        for (name, t) in values {
            guard let old = state.stored(name), old.values.count == t.count else {
                throw ModelError.invalidInput("\(state.source): cannot update '\(name)' with \(t.count) values")
            }
            state.insert(name, StoredTensor(dtype: .float32, values: t.reshaped(old.values.shape)))
        }
        generator = try Generator.load(from: state, prefix: "", source: state.source)
    }
}

extension TrainableGenerator {
    /// `{'g_ema': state_dict, 'latent_avg': [style_dim]}` as `torch.save` writes it: the
    /// reference's `Generator.load_state_dict(ckpt['g_ema'], strict=True)` takes it, and so does
    /// every loader here. Without a stored `latent_avg`, a seeded `mean_latent(4096)` stands in.
    public func write(to path: String) throws {
        let entries = state.names.compactMap { n in state[n].map { (n, $0) } }
        let d = generator.config.styleDim
        let avg = latentAvg.flatMap { $0.count >= d ? Tensor(shape: [d], values: Array($0.scalars.prefix(d))) : nil }
            ?? generator.meanLatent(samples: 4096, seed: 0)
        try TorchSave.write([("g_ema", .stateDict(entries)), ("latent_avg", .tensor(avg))], to: path)
    }
}
