import Foundation

/// Table 1 of the paper from answer files: per dataset (one key each) and task, every method's
/// average rank with a bootstrap interval over participants, the Friedman test and Kendall's W
/// with participants as blocks, and pairwise win rates; plus which files were rejected and why.
public struct StudyScore: Sendable {
    public struct TaskResult: Sendable {
        public var task: String
        public var methods: [String]
        /// Mean over participants of each participant's mean rank, per method.
        public var averageRank: [Double]
        public var interval: [(low: Double, high: Double)]
        public var friedman: RankStatistics.Friedman?
        /// winRate[a][b]: share of (participant, group) rankings with a ranked above b.
        public var winRate: [[Double]]
    }

    public struct DatasetResult: Sendable {
        public var dataset: String
        public var bundle: String
        public var participants: [String]
        public var tasks: [TaskResult]
    }

    public var datasets: [DatasetResult] = []
    public var accepted: [String] = []
    public var rejected: [(file: String, reason: String)] = []

    public static func score(answerFiles: [String], keys: [StudyKey], resamples: Int = 10_000, seed: UInt64 = 0) -> StudyScore {
        var result = StudyScore()
        var byBundle: [String: [StudyAnswer]] = [:]
        var seen: [String: String] = [:]
        for path in answerFiles {
            let answer: StudyAnswer
            do { answer = try StudyAnswer.load(path) } catch { result.rejected.append((path, "\(error)")); continue }
            guard let key = keys.first(where: { $0.bundle == answer.bundle }) else {
                result.rejected.append((path, "bundle \(answer.bundle.isEmpty ? "(none)" : answer.bundle) matches none of the keys given (\(keys.map(\.bundle).joined(separator: ", ")))"))
                continue
            }
            if let problem = answer.problem(against: key) { result.rejected.append((path, problem)); continue }
            let who = key.bundle + "\u{0}" + answer.participant
            if let first = seen[who] { result.rejected.append((path, "participant '\(answer.participant)' already answered in \(first)")); continue }
            seen[who] = path
            byBundle[key.bundle, default: []].append(answer)
            result.accepted.append(path)
        }
        for key in keys {
            let answers = byBundle[key.bundle] ?? []
            var tasks: [TaskResult] = []
            for task in key.tasks {
                tasks.append(taskResult(task, key: key, answers: answers, resamples: resamples, seed: seed))
            }
            result.datasets.append(DatasetResult(dataset: key.dataset, bundle: key.bundle, participants: answers.map(\.participant), tasks: tasks))
        }
        return result
    }

    static func taskResult(_ task: String, key: StudyKey, answers: [StudyAnswer], resamples: Int, seed: UInt64) -> TaskResult {
        let methods = key.methods, k = methods.count
        var blocks: [[Double]] = []
        var wins = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var pairs = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in answers {
            var sum = [Double](repeating: 0, count: k), count = [Double](repeating: 0, count: k)
            for id in key.groupOrder {
                let slots = key.groups[id]!.slots, r = a.ranks[id]![task]!
                var rankOf: [Int: Int] = [:]
                for (slot, method) in slots { let j = methods.firstIndex(of: method)!; rankOf[j] = r[slot]!; sum[j] += Double(r[slot]!); count[j] += 1 }
                for (x, rx) in rankOf { for (y, ry) in rankOf where x != y { pairs[x][y] += 1; if rx < ry { wins[x][y] += 1 } } }
            }
            blocks.append((0..<k).map { count[$0] > 0 ? sum[$0] / count[$0] : .nan })
        }
        let average = (0..<k).map { j in blocks.isEmpty ? Double.nan : blocks.reduce(0) { $0 + $1[j] } / Double(blocks.count) }
        let interval = blocks.isEmpty ? Array(repeating: (low: Double.nan, high: Double.nan), count: k)
            : RankStatistics.bootstrapIntervals(blocks, resamples: resamples, seed: seed)
        let complete = blocks.allSatisfy { !$0.contains { $0.isNaN } }
        return TaskResult(task: task, methods: methods, averageRank: average, interval: interval,
                          friedman: complete && blocks.count >= 2 ? RankStatistics.friedman(blocks) : nil,
                          winRate: (0..<k).map { x in (0..<k).map { y in pairs[x][y] > 0 ? wins[x][y] / pairs[x][y] : .nan } })
    }
}
