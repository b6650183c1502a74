import ArgumentParser
import FileIO
import Foundation

/// `cfclip models`: which of the official files are in place, and whether each is the right one.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Report which official checkpoints and latent files are present and whether they match.",
        discussion: """
        Looks for the files the example pipelines and training configs expect (checkpoints/ and \
        data/ under --root, the repository root by default). A file with a published SHA-256 \
        (OpenAI's CLIP files) is hashed; any other is loaded and checked for what it must hold \
        (a 1024px generator, an IR-SE50 backbone, a mapper, W+ codes). Missing files are listed \
        with where their authors publish them (data/README.md has the same list). Exits 1 when \
        a present file is not the expected one.
        """)

    @Option(help: "Folder holding checkpoints/ and data/.") var root = "."
    @Flag(help: "Print one JSON object per file instead of a table.") var json = false

    func run() throws {
        var bad = 0
        var rows: [[String: String]] = []
        for file in OfficialFile.all {
            let path = (root as NSString).appendingPathComponent(file.path)
            var row = ["path": file.path, "what": file.what, "source": file.source]
            if !FileManager.default.fileExists(atPath: path) {
                row["status"] = "missing"
            } else {
                do {
                    row["status"] = "ok"
                    row["detail"] = try file.verify(path)
                } catch {
                    row["status"] = "mismatch"
                    row["detail"] = ErrorReport.text(error).replacingOccurrences(of: "\n", with: "; ")
                    bad += 1
                }
            }
            rows.append(row)
        }
        if json {
            for row in rows {
                let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            let width = rows.map { $0["path"]!.count }.max() ?? 0
            for row in rows {
                let status = row["status"]!
                let tail = status == "missing" ? "\(row["what"]!): \(row["source"]!)" : row["detail"] ?? ""
                print(row["path"]!.padding(toLength: width + 2, withPad: " ", startingAt: 0) + status.padding(toLength: 10, withPad: " ", startingAt: 0) + tail)
            }
            let present = rows.filter { $0["status"] != "missing" }.count
            print("\(present) of \(rows.count) present, \(bad) not as expected (see data/README.md)")
        }
        if bad > 0 { throw ExitCode(1) }
    }
}
