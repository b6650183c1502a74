import FixtureSupport
import Foundation
@testable import Pipeline
import XCTest

/// The survey page in a real browser: headless Chromium opens a bundle from file://, a scripted
/// participant (scripts/study-participant.py, selenium) ranks every group, reloads once on the
/// way, and exports; the answers score back to exactly the ranks entered.
final class StudyBrowserTests: XCTestCase {
    func testScriptedParticipantScoresBackToTheRanksEntered() throws {
        try Browser.require()
        let s = try StudyTests.setup()
        var o = StudyBundle.Options()
        o.texts = 2; o.samples = 2; o.seed = 5; o.size = 48
        let root = s.tmp.url.path
        _ = try StudyBundle.build(try StudyInputs.load(s.inputs), options: o, output: root + "/bundle", key: root + "/bundle-key")
        let key = try StudyKey.load(root + "/bundle-key")
        let accuracy = key.methods.sorted(), realism = Array(accuracy.reversed())
        let json = { (a: [String]) in String(decoding: try! JSONSerialization.data(withJSONObject: a), as: UTF8.self) }
        let r = try Browser.script("study-participant.py", [root + "/bundle", root + "/bundle-key/key.json", root + "/answers.json",
                                                           "tester", "77", json(accuracy), json(realism)])
        XCTAssertEqual(r.status, 0, r.output)
        let score = StudyScore.score(answerFiles: [root + "/answers.json"], keys: [key], resamples: 100, seed: 1)
        XCTAssertEqual(score.accepted.count, 1, "\(score.rejected)")
        let tasks = score.datasets[0].tasks
        // every group: rank = the method's place in the order entered, among the group's methods
        for (t, order) in [(tasks[0], accuracy), (tasks[1], realism)] {
            for (j, m) in t.methods.enumerated() {
                var sum = 0.0, n = 0.0
                for id in key.groupOrder {
                    let present = order.filter { Set(key.groups[id]!.slots.values).contains($0) }
                    if let r = present.firstIndex(of: m) { sum += Double(r + 1); n += 1 }
                }
                XCTAssertEqual(t.averageRank[j], sum / n, accuracy: 1e-12, "\(t.task) \(m)")
            }
        }
        let answers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/answers.json"))) as! [String: Any]
        XCTAssertEqual(answers["seed"] as? Int, 77)
        XCTAssertEqual(answers["participant"] as? String, "tester")
        XCTAssertEqual((answers["groups"] as? [[String: Any]])?.compactMap { $0["position"] as? Int }.sorted(), Array(1...key.groupOrder.count))
    }
}
