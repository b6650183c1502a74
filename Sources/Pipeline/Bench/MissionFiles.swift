import Checkpoints
import Foundation
import Media
import Models
import Tensors

/// The files `pipelines/celeba_green_lipstick.yaml` expects, at full size with seeded random
/// weights, laid out under `root` as a user lays out the released ones (checkpoints/, data/,
/// pipelines/), so the unchanged pipeline file runs on them. For `cfclip-bench pipeline`.
///
/// What is released and what is written: the CF-CLIP mapper `.pt` ({'state_dict': {mapper.*,
/// text_mapper.*, decoder.*}}, the FFHQ 1024 generator with its noise buffers embedded), CLIP
/// ViT-B/32 and IR-SE50 in their key layouts, all as torch zip archives (the released CLIP is a
/// TorchScript archive and the IR-SE50 file a legacy pickle: only loading differs, which this
/// benchmark does not time). The vocabulary is the byte-level one of the demo (the text tower
/// runs twice per run), and the latents are 18 x 512 codes sampled from the generator.
public enum MissionFiles {
    public static let pipeline = "pipelines/celeba_green_lipstick.yaml"

    /// Writes the set; `pipelineText` is the pipeline file's text (copied unchanged).
    public static func write(to root: String, pipelineText: String, samples: Int, seed: UInt64 = 1) throws {
        let fm = FileManager.default
        for dir in ["checkpoints/ffhq", "data", "pipelines"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        try Data(pipelineText.utf8).write(to: URL(fileURLWithPath: root + "/" + pipeline))

        let gconfig = GeneratorConfig.configF(size: 1024)
        let decoder = gconfig.randomStateDict(seed: seed)
        var mapper: [(String, Tensor)] = DemoAssets.cfclipMapperTensors(dim: gconfig.styleDim, nLatent: gconfig.nLatent, seed: seed &+ 1)
            .sorted { $0.key < $1.key }
        mapper += decoder.names.map { ("decoder." + $0, decoder.tensors[$0]!) }
        try TorchSave.write([("state_dict", .stateDict(mapper))], to: root + "/checkpoints/ffhq/green_lipstick.pt")

        var clip = CLIPConfig.vitB32
        clip.vocabSize = ByteLevelVocabulary.size
        try writeFlat(clip.randomStateDict(seed: seed &+ 2), to: root + "/checkpoints/ViT-B-32.pt")
        try ByteLevelVocabulary.write(to: root + "/checkpoints/bpe_simple_vocab_16e6.txt.gz")
        try writeFlat(BackboneConfig.irse(numLayers: 50).randomStateDict(seed: seed &+ 3), to: root + "/checkpoints/model_ir_se50.pth")

        let generator = try Generator.load(from: decoder, prefix: "", source: "random generator")
        var sampler = try CodeSampler(generator: generator, seed: UInt32(truncatingIfNeeded: seed &+ 4), psi: 0.7, center: .mean)
        let w = generator.broadcast(sampler.codes(0..<samples))
        try HDF5File.write(path: root + "/data/test_faces.h5", datasets: [("latents", w.shape, w.scalars)], chunkRows: 16)
    }

    /// A state dict as one flat dict of tensors (what `torch.save(model.state_dict())` writes).
    static func writeFlat(_ dict: StateDict, to path: String) throws {
        try TorchSave.write(dict.names.map { ($0, .tensor(dict.tensors[$0]!)) }, to: path)
    }
}
