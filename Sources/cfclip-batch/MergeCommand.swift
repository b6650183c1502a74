import ArgumentParser
import Foundation
import Pipeline

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the output folders of a partitioned run and rebuild the summary and report.",
        discussion: """
        Every part must come from the same configuration; every shard must be done in some part with \
        files matching its done-marker's SHA-256. Nothing is copied unless all of that holds.
        """)

    @Argument(help: "Output folders of the parts.") var parts: [String]
    @Option(help: "Folder to merge into.") var output: String

    func run() throws {
        try reportingErrors {
            let r = try Merge.run(parts: parts, output: output)
            print("merged \(r.shards) shard(s), \(r.samples) samples (\(r.copied) copied) -> \(output)")
        }
    }
}
