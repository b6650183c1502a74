import ArgumentParser
import Foundation
import Pipeline

/// `cfclip-batch study build|score`: the paper's user study (§5.3) from finished runs.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Build a blinded user-study bundle from finished runs, and score the answers (Table 1).",
        subcommands: [StudyBuildCommand.self, StudyScoreCommand.self])
}

struct StudyBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a blinded ranking study: per text, samples edited by every method, in a seeded order.",
        discussion: """
        Each INPUT is a cfclip-batch output folder (each edit is a method) or a folder of images made \
        by another tool, laid out as TEXT/SAMPLE.png (and source/SAMPLE.png), named by its folder or \
        by NAME=FOLDER. The bundle (--out) holds index.html (the survey page, works from file://), \
        groups.csv (for survey platforms), bundle.json and the re-encoded images; the answer key \
        (--key, never inside the bundle) holds which method is behind each image.
        """)

    @Argument(help: "Finished runs or image folders (NAME=FOLDER to name a folder's method).") var inputs: [String]
    @Option(help: "Texts in the study (the paper: 8).") var texts = 8
    @Option(help: "Samples per text (the paper: 3).") var samples = 3
    @Option(help: "Seed of the choice of texts, samples and image order.") var seed: UInt64 = 0
    @Option(help: "Width every image is re-encoded at (PNG).") var size = 512
    @Option(help: "Name of the dataset in the results table (e.g. CelebA-HQ).") var dataset = "dataset"
    @Option(help: "Folder to write the bundle to (must not exist).") var out: String
    @Option(help: "Folder to write the answer key to (must not exist; default OUT-key).") var key: String?

    func run() throws {
        try reportingErrors {
            var o = StudyBundle.Options()
            o.texts = texts; o.samples = samples; o.seed = seed; o.size = size; o.dataset = dataset
            let keyDir = key ?? out.replacingOccurrences(of: "/+$", with: "", options: .regularExpression) + "-key"
            let id = try StudyBundle.build(try StudyInputs.load(inputs), options: o, output: out, key: keyDir)
            print("study \(id): \(texts * samples) groups -> \(out)/index.html (answer key: \(keyDir)/key.json)")
        }
    }
}

struct StudyScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score answer files: average ranks with bootstrap intervals, Friedman test, Kendall's W, win rates.",
        discussion: """
        Prints the Table 1 layout and writes table1.md, table1.csv and table1.svg to --out. Answer files \
        that do not fit a key (wrong bundle, missing groups, ranks not each used once, a participant \
        twice) are listed with the reason and left out.
        """)

    @Argument(help: "Answer files (.json or .csv) as the survey page exports them.") var answers: [String]
    @Option(name: .customLong("key"), help: "Answer key of a bundle (key.json or its folder); one per dataset.") var keys: [String] = []
    @Option(help: "Folder for table1.md, table1.csv, table1.svg.") var out = "study-results"
    @Option(help: "Bootstrap resamples over participants.") var resamples = 10_000
    @Option(help: "Seed of the bootstrap.") var seed: UInt64 = 0

    func run() throws {
        try reportingErrors {
            guard !keys.isEmpty else { throw ValidationError("give the answer key of each bundle with --key") }
            let score = StudyScore.score(answerFiles: answers, keys: try keys.map { try StudyKey.load($0) }, resamples: resamples, seed: seed)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try score.write(to: out)
            print(score.markdown, terminator: "")
        }
    }
}
