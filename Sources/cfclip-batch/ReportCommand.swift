import ArgumentParser
import Foundation
import Pipeline

/// `cfclip-batch report OUT`: summary and page of an output folder, rebuilt from its finished shards.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild summary.json and report.html of an output folder from its finished shards.")

    @Argument(help: "An output folder of cfclip-batch.") var folder: String

    func run() throws {
        try reportingErrors {
            let layout = OutputLayout(root: URL(fileURLWithPath: folder).standardizedFileURL.path)
            let manifest = try Manifest.read(layout)
            let summary = try Summary.build(layout: layout, manifest: manifest)
            try summary.write(to: layout)
            try ReportPage.write(layout: layout, manifest: manifest, summary: summary)
            print("\(summary.shardsDone) of \(summary.shardsTotal) shard(s), \(summary.samples) samples -> \(layout.summary), \(layout.report)")
        }
    }
}
