import ArgumentParser
import Checkpoints
import Editing
import Foundation
import Models
import Tensors
import Training

/// `cfclip train-nada`: StyleGAN-NADA's generator fine-tuning (rinongal/StyleGAN-nada,
/// ZSSGAN/train.py) on the CPU, with the options of its README example as defaults.
struct TrainNadaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-nada",
        abstract: "Fine-tune a copy of a StyleGAN2 generator towards a text (StyleGAN-NADA).",
        discussion: """
        A frozen and a trainable twin of --generator (rosinality format) render the same codes; \
        the trainable one moves so that the CLIP direction from each frozen render to its twin \
        follows the direction from --source-class to --target-class (79 templates), summed over \
        the CLIP models with their weights. Each iteration chooses the layers to train (one SGD \
        step on w with the global CLIP loss; the --auto-layer-k rows of W+ that moved most, \
        mapped onto [conv1, to_rgb1, convs...]) unless --auto-layer-iters is 0, when the --phase \
        layers train. Adam: lr x 4/5, betas (0, 0.99^(4/5)).

        Writes OUTPUT-DIR/log.jsonl (loss and layers per iteration), OUTPUT-DIR/sample/N.png \
        (fixed codes: frozen above, trainable below), OUTPUT-DIR/checkpoint/N.pt and \
        state.safetensors (a rerun continues from the last save, drawing what an uninterrupted \
        run would; --restart starts again) and, when done, --output: {'g_ema': state_dict, \
        'latent_avg': ...}, which cfclip-batch takes as an edit's `generator:` and the \
        reference code loads with load_state_dict(strict=True).

        The defaults are the paper's setting: 1024 generator, batch 2, 301 iterations, 18 layers \
        chosen from a batch of 8, ViT-B/32 and ViT-B/16. On 2 cores an iteration takes minutes \
        (cfclip-bench nada); progress shows the rate and the time left.
        """)

    @Option(help: "Generator to adapt (rosinality .pt or .safetensors).") var generator: String
    @Option(parsing: .upToNextOption, help: "CLIP models (ViT .pt files) whose directional losses are summed.")
    var clipModels: [String] = ["checkpoints/ViT-B-32.pt", "checkpoints/ViT-B-16.pt"]
    @Option(parsing: .upToNextOption, help: "Weight of each CLIP model's loss (default 1.0 each).") var clipModelWeights: [Double] = []
    @Option(help: "Attention heads of the CLIP image towers (default: width / 64, as the released models).") var clipVisionHeads: Int?
    @Option(help: "Attention heads of the CLIP text towers (default: width / 64).") var clipTextHeads: Int?
    @Option(help: "CLIP's BPE vocabulary.") var vocab = "checkpoints/bpe_simple_vocab_16e6.txt.gz"
    @Option(help: "Text of the domain the generator renders.") var sourceClass = "photo"
    @Option(help: "Text of the domain to move to.") var targetClass: String
    @Option(help: "Run folder: log, samples, checkpoints, state.") var outputDir: String
    @Option(help: "The finished generator (default OUTPUT-DIR/generator.pt).") var output: String?
    @Option(help: "Training iterations.") var iter = 301
    @Option(help: "Codes per iteration.") var batch = 2
    @Option(help: "Learning rate (Adam runs at lr x 4/5).") var lr = 0.002
    @Option(help: "Layers trained per iteration (top-k of the selection; default 18, or n_latent when the generator has fewer).")
    var autoLayerK: Int?
    @Option(help: "SGD steps of the layer selection; 0 trains the --phase layers instead.") var autoLayerIters = 1
    @Option(help: "Codes of the layer selection.") var autoLayerBatch = 8
    @Option(help: "Selection codes rendered at once (same result; less memory when smaller).") var selectionChunk = 2
    @Option(help: "Layers without selection: texture, shape, no_fine, shape_expanded, all (default: input, conv1, every conv).")
    var phase: String?
    @Option(help: "Probability of style mixing.") var mixing = 0.0
    @Option(help: "Seed of every draw.") var seed: UInt64 = 2
    @Option(help: "Sample grid every N iterations (0: none).") var outputInterval = 50
    @Option(help: "Checkpoint every N iterations (0: only at the end).") var saveInterval = 150
    @Option(help: "Codes in the sample grids.") var nSample = 4
    @Option(help: "Truncation of the sample grids.") var sampleTruncation: Float = 0.7
    @Option(help: "separate (the reference on its GPU: the selection measures how far each W+ row moved) or shared (the reference run on a CPU, where its starting codes alias the moved ones and torch's tie order picks the layers).")
    var selectionBaseline = "separate"
    @Option(help: "Stop after this many iterations (the run continues later).") var until: Int?
    @Flag(help: "Ignore a saved state and start again.") var restart = false

    func validate() throws {
        if !clipModelWeights.isEmpty && clipModelWeights.count != clipModels.count {
            throw ValidationError("--clip-model-weights has \(clipModelWeights.count) values for \(clipModels.count) --clip-models")
        }
        if let phase, NadaPhase(rawValue: phase) == nil {
            throw ValidationError("--phase must be one of \(NadaPhase.allCases.map(\.rawValue).joined(separator: ", ")), got '\(phase)'")
        }
        if SelectionBaseline(rawValue: selectionBaseline) == nil { throw ValidationError("--selection-baseline must be separate or shared, got '\(selectionBaseline)'") }
    }

    func run() throws {
        try reportingErrors {
            var s = NadaSettings()
            s.sourceClass = sourceClass; s.targetClass = targetClass; s.iterations = iter; s.batch = batch; s.lr = lr
            s.autoLayerIters = autoLayerIters; s.autoLayerBatch = autoLayerBatch
            s.selectionChunk = selectionChunk; s.phase = phase.flatMap(NadaPhase.init); s.mixing = mixing; s.seed = seed
            s.outputInterval = outputInterval; s.saveInterval = saveInterval; s.nSample = nSample; s.sampleTruncation = sampleTruncation
            s.selectionBaseline = SelectionBaseline(rawValue: selectionBaseline) ?? .separate
            let twin = try TrainableGenerator(StateDict.load(generator), source: generator)
            s.autoLayerK = autoLayerK ?? min(18, twin.generator.config.nLatent)
            let tokenizer = try CLIPTokenizer(vocabularyPath: vocab)
            let weights = clipModelWeights.isEmpty ? clipModels.map { _ in 1.0 } : clipModelWeights
            let losses = try zip(clipModels, weights).map { path, w in
                try NadaCLIPLoss(model: CLIPModel.load(from: StateDict.load(path), source: path, visionHeads: clipVisionHeads, textHeads: clipTextHeads),
                                 weight: Float(w), tokenizer: tokenizer, source: sourceClass, target: targetClass)
            }
            let run = try NadaRun(trainer: try NadaTrainer(settings: s, generator: twin, losses: losses), folder: outputDir, output: output)
            if restart { try? FileManager.default.removeItem(atPath: run.statePath) }
            else if try run.resumeIfPossible() { note("resuming at iteration \(run.trainer.iteration)") }
            let start = Date(), first = run.trainer.iteration
            var lastPrint = Date.distantPast
            try run.run(until: until) { p in
                let done = p.phase == nil
                guard Date().timeIntervalSince(lastPrint) >= 1 || (done && p.done == p.total) else { return }
                lastPrint = Date()
                let elapsed = max(Date().timeIntervalSince(start), 1e-6)
                let perMinute = Double(p.done - first) / elapsed * 60
                let left = perMinute > 0 ? Double(p.total - p.done) / perMinute * 60 : .nan
                let loss = p.loss.map { String(format: "  loss %.4f", $0) } ?? ""
                let phase = p.phase.map { "  (\($0) of iteration \(p.done + 1))" } ?? ""
                note(String(format: "iteration %d/%d  %.2f it/min  %@ left%@%@", p.done, p.total, perMinute,
                            left.isFinite ? Self.duration(left) : "?", loss, phase))
            }
            if run.trainer.iteration == s.iterations { note("wrote \(run.output)") }
        }
    }

    func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

    static func duration(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) : t >= 60 ? String(format: "%dm%02ds", t / 60, t % 60) : "\(t)s"
    }
}
