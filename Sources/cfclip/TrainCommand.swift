import ArgumentParser
import Foundation
import Tensors
import Training

/// `cfclip train CONFIG.yaml`: trains a CF-CLIP mapper (or a baseline) and writes mapper
/// checkpoints the batch pipeline loads unchanged.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a text-driven latent mapper (CLIP-NCE, directional or global CLIP loss).",
        discussion: """
        Writes OUTPUT/log.jsonl (every loss term of every step; a resumed run drops the lines \
        after its saved step, --restart starts it again), OUTPUT/images/step-N.png (sources \
        above edits), OUTPUT/checkpoints/mapper-N.safetensors (mapper + generator + options, for \
        cfclip-batch and cfclip edit) and OUTPUT/checkpoints/state.safetensors (optimiser, RNG and \
        data order: a rerun continues where the last save left off, bit for bit).
        """)

    @Argument(help: "Training config (YAML).") var config: String
    @Option(help: "Override the config's output folder.") var output: String?
    @Option(help: "Stop after this many steps (default: the config's max_steps).") var steps: Int?
    @Flag(help: "Ignore a saved state and start again.") var restart = false

    func run() throws {
        try reportingErrors {
            var c = try TrainingConfig.load(path: config)
            if let output { c.output = output }
            if let t = c.threads { Parallel.setThreads(t) }
            let setup = try TrainingSetup.load(c)
            let trainer = try Trainer(config: c, models: setup.models, latents: setup.latents, generatorDict: setup.generatorDict,
                                      generatorPrefix: setup.generatorPrefix, initial: setup.initial)
            if !restart, try trainer.resumeIfPossible() {
                FileHandle.standardError.write(Data("resuming at step \(trainer.step)\n".utf8))
            }
            let start = Date(), first = trainer.step
            var lastPrint = Date.distantPast
            try trainer.run(until: steps) { step, total, parts in
                guard Date().timeIntervalSince(lastPrint) >= 1 || step == total else { return }
                lastPrint = Date()
                let rate = Double(step - first) / max(Date().timeIntervalSince(start), 1e-6)
                let eta = rate > 0 ? Double(total - step) / rate : 0
                let terms = parts.map { String(format: "%@ %.4f", $0.0, $0.1) }.joined(separator: "  ")
                FileHandle.standardError.write(Data(String(format: "step %d/%d  %.2f steps/s  ETA %.0fs  %@\n", step, total, rate, eta, terms).utf8))
            }
        }
    }
}
