import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cfclip-batch validate`: every check of a run that needs no rendering - the config, every
/// model file and its shapes, every latent row, the golden folder - then the output folder,
/// without writing to it (so a finished run on a read-only mount validates too): writable,
/// made with this configuration or new, and room for the estimated outputs.
public struct ValidationReport: Sendable {
    public var lines: [String]
    public var problems: [String]
    public var passed: Bool { problems.isEmpty }
}

extension PipelineRunner {
    public static func validate(pipeline path: String, options: RunOptions) throws -> ValidationReport {
        let p = try prepare(pipeline: path, options: options)
        let c = p.config
        var lines: [String] = [], problems: [String] = []
        let samples = p.owned.reduce(0) { $0 + p.plan.rows(of: $1).count }
        lines.append("config: \(path) (config hash \(p.identity.configHash.prefix(12)))")
        lines.append("models: " + p.checksums.keys.sorted().map { "\($0) \(p.checksums[$0]!.prefix(12))" }.joined(separator: ", "))
        lines.append("input: \(p.source.count) samples in \(p.plan.count) shards; this part owns \(p.owned.count) shards, \(samples) samples")
        lines.append("edits: " + p.models.edits.map { e in
            let how = e.optimizer.map { "\($0.settings.preset.rawValue), \($0.settings.steps) steps" } ?? "alpha \(e.config.alpha)"
            return "\(e.config.name) (\(e.method.rawValue), '\(e.config.text)', \(how)\(e.config.generator == nil ? "" : ", own generator"))"
        }.joined(separator: ", "))
        if samples > 0 {
            let first = try p.source.read(0..<1)
            lines += try CostEstimate.measure(models: p.models, metrics: c.scores.metrics, sample: first).lines(samples: samples)
        }

        // output folder, read-only checks
        let layout = OutputLayout(root: c.output.dir)
        var existing = c.output.dir
        while !FileManager.default.fileExists(atPath: existing) { existing = (existing as NSString).deletingLastPathComponent }
        var done: [Int] = []
        if let m = try? Manifest.read(layout) {
            done = p.owned.filter { OutputFolder(layout: layout).isComplete($0, configHash: p.identity.configHash, rows: p.plan.rows(of: $0), verify: options.verify) }
            if m.configHash != p.identity.configHash && !options.force {
                problems.append("output: \(layout.root) was made with another configuration (\(m.configHash.prefix(12))); a run needs --force or another --output")
            } else {
                lines.append("output: \(layout.root) exists; \(done.count) of the owned \(p.owned.count) shards are done\(options.verify ? " and verified" : "")")
            }
        } else {
            lines.append("output: \(layout.root) (new)")
        }
        // a finished run needs no write access (re-verifying on a read-only mount is fine)
        if done.count < p.owned.count && access(existing, W_OK) != 0 { problems.append("output: \(existing) is not writable") }
        // disk: a PNG of noise-free renders is ~1.5 bytes per pixel; JPEG a tenth of that
        let side = c.output.imageSize ?? p.models.generator.config.size
        let pixels = side * side
        let perImage = Double(pixels) * (c.output.imageFormat == .png ? 1.5 : 0.15)
        let estimate = Double(samples * (c.edits.count + 1)) * perImage
        var fs = statvfs()
        if statvfs(existing, &fs) == 0 {
            let free = Double(fs.f_bavail) * Double(fs.f_frsize)
            lines.append(String(format: "disk: about %.1f GB of images expected, %.1f GB free", estimate / 1e9, free / 1e9))
            if estimate > free { problems.append(String(format: "disk: about %.1f GB needed, %.1f GB free at %@", estimate / 1e9, free / 1e9, existing)) }
        }
        return ValidationReport(lines: lines, problems: problems)
    }
}
