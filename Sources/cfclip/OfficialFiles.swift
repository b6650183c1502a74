import Checkpoints
import FileIO
import Media
import Models

/// The official files the example pipelines and training configs expect, where each goes
/// (relative to the repository root, as pipelines/*.yaml refer to them), where its authors
/// publish it, and how `cfclip models` tells that a file is the right one. data/README.md is the
/// same list for people; a test keeps the two in step.
struct OfficialFile {
    enum Check {
        /// The SHA-256 the publisher gives (OpenAI's CLIP addresses embed it).
        case sha256(String)
        case generator(size: Int)
        case arcface
        case mapper
        case vgg(VGGDepth)
        case latents(rows: Int, width: Int)
    }

    let path: String
    let what: String
    let source: String
    let check: Check

    static let all: [OfficialFile] = [
        OfficialFile(path: "checkpoints/stylegan2-ffhq-config-f.pt", what: "FFHQ 1024 StyleGAN2, rosinality format (g_ema, latent_avg)",
                     source: "https://drive.google.com/file/d/1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT (StyleCLIP / CF-CLIP READMEs)",
                     check: .generator(size: 1024)),
        OfficialFile(path: "checkpoints/ViT-B-32.pt", what: "OpenAI CLIP ViT-B/32 (TorchScript archive)",
                     source: "https://openaipublic.azureedge.net/clip/models/40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
                     check: .sha256("40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af")),
        OfficialFile(path: "checkpoints/ViT-B-16.pt", what: "OpenAI CLIP ViT-B/16 (StyleGAN-NADA's second CLIP)",
                     source: "https://openaipublic.azureedge.net/clip/models/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt",
                     check: .sha256("5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f")),
        OfficialFile(path: "checkpoints/bpe_simple_vocab_16e6.txt.gz", what: "CLIP's BPE vocabulary",
                     source: "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz",
                     check: .sha256("924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a")),
        OfficialFile(path: "checkpoints/model_ir_se50.pth", what: "ArcFace IR-SE50 (TreB1eN/InsightFace_Pytorch), identity loss and score",
                     source: "https://drive.google.com/file/d/1KW7bjndL3QG3sxBbZxreGHigcCCpsDgn (StyleCLIP / CF-CLIP READMEs)",
                     check: .arcface),
        OfficialFile(path: "checkpoints/ffhq/green_lipstick.pt", what: "CF-CLIP mapper 'green lipstick' (embeds its FFHQ generator)",
                     source: "https://drive.google.com/drive/folders/1GxwCtTCgVG9nUkkVTOTyES7lWw5zhHQ7 (CF-CLIP README)",
                     check: .mapper),
        OfficialFile(path: "checkpoints/afhqdog.pt", what: "AFHQ dog 512 StyleGAN2-ADA, converted to rosinality format",
                     source: "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada/pretrained/afhqdog.pkl, then rosinality's convert_weight.py",
                     check: .generator(size: 512)),
        OfficialFile(path: "checkpoints/dog/tiger_stripes.pt", what: "CF-CLIP mapper 'tiger stripes' (AFHQ dog)",
                     source: "https://drive.google.com/drive/folders/1GxwCtTCgVG9nUkkVTOTyES7lWw5zhHQ7 (CF-CLIP README)",
                     check: .mapper),
        OfficialFile(path: "checkpoints/vgg19_conv.pth", what: "VGG19 features for the perceptual loss (animals)",
                     source: "https://drive.google.com/file/d/1fp7DAiXdf0Ay-jANb8f0RHYLTRyjNv4m (CF-CLIP README, 'VGG')",
                     check: .vgg(.vgg19)),
        OfficialFile(path: "checkpoints/vgg16.pth", what: "VGG16 features for TediGAN's perceptual loss (idinvert's layerN keys)",
                     source: "https://drive.google.com/file/d/1qQ-r7MYZ8ZcjQQFe17eQfJbOAuE3eS0y (genforce/idinvert_pytorch, as TediGAN loads it)",
                     check: .vgg(.vgg16)),
        OfficialFile(path: "data/test_faces.h5", what: "e4e-inverted CelebA-HQ test latents (2,824 W+ codes)",
                     source: "test_faces.pt from https://drive.google.com/file/d/1j7RIfmrCoisxx3t-r-KC02Qc8barBecr, then cfclip import-latents",
                     check: .latents(rows: 18, width: 512)),
        OfficialFile(path: "data/train_faces.h5", what: "e4e-inverted CelebA-HQ training latents",
                     source: "train_faces.pt from https://drive.google.com/file/d/1gof8kYc_gDLUT4wQlmUdAtPnQIlCO26q, then cfclip import-latents",
                     check: .latents(rows: 18, width: 512)),
    ]

    /// What the file at `path` is, or an error saying how it differs.
    func verify(_ path: String) throws -> String {
        switch check {
        case let .sha256(expected):
            let found = try InputFile(path: path).sha256()
            guard found == expected else { throw Mismatch(text: "SHA-256 \(found), the publisher's is \(expected)") }
            return "SHA-256 matches the publisher's"
        case let .generator(size):
            let g = try Generator.load(path: path)
            guard g.config.size == size else { throw Mismatch(text: "a \(g.config.size)px generator, expected \(size)px") }
            return "\(size)px generator, \(g.config.nLatent) W+ rows"
        case .arcface:
            _ = try Backbone.load(from: StateDict.load(path), source: path)
            return "IR-SE50 backbone"
        case .mapper:
            let m = try MapperCheckpoint.load(path: path)
            return "\(m.kind) mapper" + (m.decoder.map { " with a \($0.config.size)px decoder" } ?? "")
        case let .vgg(depth):
            let v = try VGG.load(from: StateDict.load(path), source: path)
            guard v.depth == depth else { throw Mismatch(text: "\(v.depth.name) weights, expected \(depth.name)") }
            return "\(depth.name) features (\(v.layout.rawValue) keys)"
        case let .latents(rows, width):
            let f = try LatentFile(path: path)
            guard f.rows == rows, f.width == width else {
                throw Mismatch(text: "codes of \(f.rows.map { "\($0) x " } ?? "")\(f.width), expected \(rows) x \(width)")
            }
            return "\(f.count) W+ codes"
        }
    }

    struct Mismatch: Error, CustomStringConvertible { let text: String; var description: String { text } }
}
