import FixtureSupport
import Foundation
import Media
@testable import Pipeline
import XCTest

/// `study build` and `study score` on a real run of the fixture pipeline (two edits of "green
/// lipstick" under made-up names) plus two folders of images from "other tools" (made-up names
/// too, one of them also covering a second text).
final class StudyTests: XCTestCase {
    struct Setup {
        let tmp: TemporaryDirectory
        let run: String
        let folders: [String]
        let secret: [String]        // every method and edit name: none may leak into a bundle
        var inputs: [String] { [run] + folders }
    }

    static func randomName() -> String { "m" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased() }

    static func setup() throws -> Setup {
        let tmp = try TemporaryDirectory()
        var f = PipelineFixture(tmp)
        f.samples = 8
        f.editNames = (Self.randomName(), Self.randomName())
        let run = f.folder("run")
        try f.run(try f.write(), output: run)
        // two "other tools": images per text folder, named by sample index
        let toolA = Self.randomName(), toolB = Self.randomName()
        let a = f.folder(toolA), b = f.folder(toolB)
        for (dir, texts, seed) in [(a, ["green_lipstick", "elf ears"], 1), (b, ["elf_ears"], 2)] {
            for (t, text) in texts.enumerated() {
                try FileManager.default.createDirectory(atPath: dir + "/" + text, withIntermediateDirectories: true)
                for s in 0..<8 {
                    let px = (0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 &* (s + 3) &+ seed * 31 &+ t * 7) }
                    try Data(try PNG.encode(RGBImage(width: 64, height: 64, pixels: px))).write(to: URL(fileURLWithPath: "\(dir)/\(text)/\(s).png"))
                }
            }
        }
        return Setup(tmp: tmp, run: run, folders: [a, b], secret: [f.editNames.0, f.editNames.1, toolA, toolB])
    }

    func build(_ s: Setup, seed: UInt64, out: String, texts: Int = 2, samples: Int = 3, inputs: [String]? = nil) throws -> String {
        var o = StudyBundle.Options()
        o.texts = texts; o.samples = samples; o.seed = seed; o.size = 48; o.dataset = "faces"
        return try StudyBundle.build(try StudyInputs.load(inputs ?? s.inputs), options: o, output: s.tmp.url.path + "/" + out, key: s.tmp.url.path + "/" + out + "-key")
    }

    func files(_ root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: root)!
        for case let name as String in e {
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &d), !d.boolValue {
                out[name] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + name))
            }
        }
        return out
    }

    /// Blinding: no method or edit name in any file name, label, attribute, metadata chunk or
    /// image byte; every image the same size, re-encoded with no text chunks; the key outside.
    func testBundleIsBlindAndSeeded() throws {
        let s = try Self.setup()
        let id = try build(s, seed: 11, out: "bundle")
        let bundle = try files(s.tmp.url.path + "/bundle")
        XCTAssertTrue(bundle.keys.contains("index.html") && bundle.keys.contains("groups.csv") && bundle.keys.contains("bundle.json"))
        XCTAssertFalse(bundle.keys.contains { $0.contains("key") })
        let pngs = bundle.filter { $0.key.hasSuffix(".png") }
        XCTAssertEqual(pngs.count, 3 * (1 + 3) + 3 * (1 + 2), "green lipstick: source + 3 methods; elf ears: source + 2, 3 samples each")
        for (name, data) in bundle {
            for secret in s.secret {
                XCTAssertFalse(name.contains(secret), "\(name) names a method")
                XCTAssertNil(data.range(of: Data(secret.utf8)), "\(name) holds the name \(secret)")
            }
        }
        for (name, data) in pngs {
            let image = try PNG.decode([UInt8](data), name: name)
            XCTAssertEqual(image.width, 48, name); XCTAssertEqual(image.height, 48, name)
            for chunk in ["tEXt", "iTXt", "zTXt", "tIME"] { XCTAssertNil(data.range(of: Data(chunk.utf8)), "\(name) has a \(chunk) chunk") }
        }
        let key = try StudyKey.load(s.tmp.url.path + "/bundle-key")
        XCTAssertEqual(key.bundle, id)
        XCTAssertEqual(Set(key.methods), Set(s.secret))
        XCTAssertEqual(key.groupOrder.count, 6)

        // the same seed: the same bytes; another seed: another arrangement
        let again = try build(s, seed: 11, out: "again")
        XCTAssertEqual(again, id)
        XCTAssertEqual(try files(s.tmp.url.path + "/again"), bundle)
        let other = try build(s, seed: 12, out: "other")
        XCTAssertNotEqual(other, id)
        let otherKey = try StudyKey.load(s.tmp.url.path + "/other-key")
        XCTAssertNotEqual(otherKey.groupOrder.map { "\(otherKey.groups[$0]!.sample)\(otherKey.groups[$0]!.slots.sorted { $0.key < $1.key }.map(\.value))" },
                          key.groupOrder.map { "\(key.groups[$0]!.sample)\(key.groups[$0]!.slots.sorted { $0.key < $1.key }.map(\.value))" })

        // nothing is half-written, and a bundle is never overwritten
        XCTAssertThrowsError(try build(s, seed: 11, out: "bundle")) { XCTAssertTrue("\($0)".contains("already exists"), "\($0)") }
        XCTAssertThrowsError(try build(s, seed: 11, out: "three", texts: 3)) { XCTAssertTrue("\($0)".contains("only 2 are shared"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.tmp.url.path + "/three"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.tmp.url.path + "/three-key"))
    }

    /// Synthetic participants with known rankings: exact average ranks and win rates, and every
    /// kind of bad answer file rejected with its reason.
    func testScoringGivesTheRanksEntered() throws {
        let s = try Self.setup()
        // the run's two edits and the first tool: only "green lipstick" is shared, by three methods
        _ = try build(s, seed: 3, out: "bundle", texts: 1, inputs: [s.run, s.folders[0]])
        let key = try StudyKey.load(s.tmp.url.path + "/bundle-key")
        let methods = key.methods
        XCTAssertEqual(methods.count, 3)
        // three participants, each ranking the methods in one fixed order in every group
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2]]
        var paths: [String] = []
        for (p, order) in orders.enumerated() {
            paths.append(try writeAnswer(key, participant: "p\(p)", dir: s.tmp.url.path) { method in order.firstIndex(of: methods.firstIndex(of: method)!)! + 1 })
        }
        // bad files: another bundle, a missing group, a rank used twice, a participant twice, not JSON
        paths.append(try writeAnswer(key, participant: "x1", dir: s.tmp.url.path, bundle: "0123456789abcdef") { _ in 1 })
        paths.append(try writeAnswer(key, participant: "x2", dir: s.tmp.url.path, dropGroup: true) { m in methods.firstIndex(of: m)! + 1 })
        paths.append(try writeAnswer(key, participant: "x3", dir: s.tmp.url.path) { _ in 1 })
        paths.append(try writeAnswer(key, participant: "p0", dir: s.tmp.url.path, file: "again.json") { m in methods.firstIndex(of: m)! + 1 })
        paths.append(s.tmp.url.path + "/broken.json")
        try "{".write(toFile: paths.last!, atomically: true, encoding: .utf8)

        let score = StudyScore.score(answerFiles: paths, keys: [key], resamples: 1000, seed: 1)
        XCTAssertEqual(score.accepted.count, 3)
        XCTAssertEqual(score.rejected.count, 5)
        let reasons = score.rejected.map(\.reason).joined(separator: "\n")
        for expected in ["matches none of the keys", "missing group(s)", "are not each of 1...3 once", "already answered", "not a study answers file"] {
            XCTAssertTrue(reasons.contains(expected), "no rejection saying '\(expected)' in:\n\(reasons)")
        }
        let accuracy = score.datasets[0].tasks[0]
        XCTAssertEqual(accuracy.averageRank, [4.0 / 3, 2, 8.0 / 3].map { $0 }, "method 0: ranks 1, 1, 2; method 1: 2, 3, 1; method 2: 3, 2, 3")
        XCTAssertEqual(accuracy.winRate[0][1], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(accuracy.winRate[1][0], 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(accuracy.winRate[0][2], 1, accuracy: 1e-12)
        // scipy.stats.friedmanchisquare([1, 1, 2], [2, 3, 1], [3, 2, 3]) (one list per method):
        // statistic 2.6666666666666643, p 0.26359713811572705
        XCTAssertEqual(accuracy.friedman?.statistic ?? -1, 2.6666666666666643, accuracy: 1e-12)
        XCTAssertEqual(accuracy.friedman?.p ?? -1, 0.26359713811572705, accuracy: 1e-12)
        XCTAssertTrue(score.markdown.contains("| \(methods[0]) | 1.33 ["), score.markdown)
        XCTAssertTrue(score.svg.hasPrefix("<svg") && score.svg.contains(methods[2]))
        XCTAssertEqual(score.csv.split(separator: "\n").count, 1 + 2 * 3)

        // the CSV export scores the same
        let csvPath = s.tmp.url.path + "/p0.csv"
        try csvAnswer(key, participant: "p0", order: orders[0]).write(toFile: csvPath, atomically: true, encoding: .utf8)
        let fromCSV = StudyScore.score(answerFiles: [csvPath], keys: [key], resamples: 10, seed: 1)
        XCTAssertEqual(fromCSV.accepted, [csvPath], "\(fromCSV.rejected)")
        XCTAssertEqual(fromCSV.datasets[0].tasks[0].averageRank, [1, 2, 3])
    }

    // MARK: helpers

    func writeAnswer(_ key: StudyKey, participant: String, dir: String, bundle: String? = nil, dropGroup: Bool = false,
                     file: String? = nil, rank: (String) -> Int) throws -> String {
        var groups: [[String: Any]] = []
        for (i, id) in key.groupOrder.enumerated() where !(dropGroup && i == 0) {
            var ranks: [String: Int] = [:]
            for (slot, method) in key.groups[id]!.slots { ranks[slot] = rank(method) }
            groups.append(["group": id, "position": i + 1, "shown_order": ranks.keys.sorted(), "accuracy": ranks, "realism": ranks])
        }
        let answer: [String: Any] = ["format": "cfclip-study-answers", "version": 1, "bundle": bundle ?? key.bundle,
                                     "participant": participant, "seed": 1, "groups": groups]
        let path = dir + "/" + (file ?? "\(participant).json")
        try JSONSerialization.data(withJSONObject: answer).write(to: URL(fileURLWithPath: path))
        return path
    }

    func csvAnswer(_ key: StudyKey, participant: String, order: [Int]) -> String {
        var lines = ["bundle,participant,seed,group,position,shown_order,slot,accuracy,realism"]
        for (i, id) in key.groupOrder.enumerated() {
            for (slot, method) in key.groups[id]!.slots.sorted(by: { $0.key < $1.key }) {
                let r = order.firstIndex(of: key.methods.firstIndex(of: method)!)! + 1
                lines.append("\(key.bundle),\(participant),1,\(id),\(i + 1),\"1 2 3\",\(slot),\(r),\(r)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
