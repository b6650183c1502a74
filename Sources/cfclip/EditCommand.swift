import ArgumentParser
import Checkpoints
import FileIO
import Foundation
import Media
import Models
import Tensors

/// `cfclip edit`: one latent, source and edit side by side, for a quick look.
struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Render one latent code before and after a mapper edit, side by side.",
        discussion: """
        The mapper checkpoint (StyleCLIP or CF-CLIP .pt, or the project's .safetensors) embeds the \
        generator it was trained with, and its noise buffers, which render the images unless \
        --generator is given. CF-CLIP mappers also need CLIP (--clip ViT-B-32.pt and --vocab \
        bpe_simple_vocab_16e6.txt.gz) to embed the text; the text defaults to the checkpoint's \
        `description` option.
        """)

    @Option(help: "Mapper checkpoint (.pt or .safetensors).") var checkpoint: String
    @Option(help: "HDF5 file with a 'latents' dataset ([N, L, D] or [N, D]).") var latents: String
    @Option(help: "Row of the latents dataset.") var index = 0
    @Option(help: "Edit strength: w + alpha * 0.1 * delta (1 = the reference).") var alpha: Float = 1
    @Option(help: "Output PNG.") var out: String
    @Option(help: "Text for CF-CLIP mappers (default: the checkpoint's description).") var text: String?
    @Option(help: "CLIP checkpoint (ViT-B-32.pt) for CF-CLIP mappers.") var clip: String?
    @Option(help: "CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz).") var vocab: String?
    @Option(help: "Generator checkpoint to render with instead of the mapper's decoder.") var generator: String?
    @Option(help: .hidden) var clipVisionHeads: Int?
    @Option(help: .hidden) var clipTextHeads: Int?

    func run() throws {
        try reportingErrors {
            let m = try MapperCheckpoint.load(path: checkpoint)
            let g: Generator
            if let generator {
                g = try Generator.load(path: generator)
            } else if let d = m.decoder {
                g = d
            } else {
                throw ValidationError("\(checkpoint) holds no decoder; pass --generator")
            }
            guard m.latentDim == g.config.styleDim else {
                throw ValidationError("\(checkpoint): the mapper's latent width is \(m.latentDim), the generator's style_dim is \(g.config.styleDim)")
            }
            let file = try LatentFile(path: latents)
            try file.validate(width: g.config.styleDim, nLatent: g.config.nLatent)
            guard index >= 0 && index < file.count else {
                throw ValidationError("\(latents): index \(index) is outside 0..<\(file.count)")
            }
            let w = try file.read(index..<(index + 1), nLatent: g.config.nLatent)
            var embedding: Tensor? = nil
            if m.kind == .cfclip {
                let prompt = text ?? m.opts?["description"].flatMap { if case let .string(s) = $0 { s } else { nil } }
                guard let prompt else { throw ValidationError("\(checkpoint) has no description option; pass --text") }
                guard let clip, let vocab else { throw ValidationError("a CF-CLIP mapper needs --clip and --vocab to embed \"\(prompt)\"") }
                let model = try CLIPModel.load(from: StateDict.load(clip), source: clip,
                                               visionHeads: clipVisionHeads, textHeads: clipTextHeads)
                embedding = try TextEmbeddingCache(model: model, tokenizer: CLIPTokenizer(vocabularyPath: vocab)).embedding(prompt)
            }
            let edited = try m.edit(w, textEmbedding: embedding, alpha: alpha)
            let images = try g.synthesize(Tensor.concatenate([w, edited]))
            let pair = RGBImage.row([RGBImage(tensor: images, index: 0), RGBImage(tensor: images, index: 1)], gap: 4)
            try DurableFile.write(try PNG.encode(pair), to: out, shared: true)
            print("wrote \(out) (\(pair.width)x\(pair.height): source | edit, alpha \(alpha))")
        }
    }
}

/// Prints a user-facing error in one line and exits non-zero (no stack trace).
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch {
        ErrorReport.print(error)
        throw ExitCode(1)
    }
}
