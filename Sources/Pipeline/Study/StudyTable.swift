import Foundation

/// The scored study as the paper prints it (Table 1: a row per method, per dataset one column
/// per task, N/A where a method was not in a dataset's study), as Markdown, CSV and an SVG chart.
extension StudyScore {
    var methods: [String] {
        var out: [String] = []
        for d in datasets { for t in d.tasks { for m in t.methods where !out.contains(m) { out.append(m) } } }
        return out
    }

    static func title(_ task: String) -> String { StudyBundle.tasks.first { $0.id == task }?.title ?? task }
    static func f(_ x: Double, _ digits: Int = 2) -> String { x.isNaN ? "n/a" : String(format: "%.\(digits)f", x) }

    public var markdown: String {
        var lines = ["# User study: average rank (1 = best), 95% bootstrap interval over participants", ""]
        var header = "| Method |", rule = "|---|"
        for d in datasets { for t in d.tasks { header += " \(d.dataset): \(Self.title(t.task)) |"; rule += "---|" } }
        lines += [header, rule]
        for m in methods {
            var row = "| \(m) |"
            for d in datasets {
                for t in d.tasks {
                    if let j = t.methods.firstIndex(of: m), !t.averageRank[j].isNaN {
                        row += " \(Self.f(t.averageRank[j])) [\(Self.f(t.interval[j].low)), \(Self.f(t.interval[j].high))] |"
                    } else { row += " N/A |" }
                }
            }
            lines.append(row)
        }
        lines.append("")
        for d in datasets {
            lines.append("## \(d.dataset) (bundle \(d.bundle), \(d.participants.count) participant(s))")
            lines.append("")
            for t in d.tasks {
                if let fr = t.friedman {
                    lines.append("- \(Self.title(t.task)): Friedman χ²(\(fr.treatments - 1)) = \(Self.f(fr.statistic, 3)), p = \(String(format: "%.3g", fr.p)), Kendall's W = \(Self.f(fr.kendallW, 3)) (n = \(fr.blocks))")
                } else {
                    lines.append("- \(Self.title(t.task)): Friedman test needs at least two complete participants")
                }
            }
            for t in d.tasks {
                lines += ["", "Win rate, \(Self.title(t.task)) (row ranked above column):", ""]
                lines.append("| | " + t.methods.joined(separator: " | ") + " |")
                lines.append("|---|" + String(repeating: "---|", count: t.methods.count))
                for (a, m) in t.methods.enumerated() {
                    lines.append("| \(m) | " + t.methods.indices.map { b in a == b ? "–" : Self.f(t.winRate[a][b]) }.joined(separator: " | ") + " |")
                }
            }
            lines.append("")
        }
        lines.append("Answer files: \(accepted.count) complete, \(rejected.count) rejected.")
        for r in rejected { lines.append("- rejected \(r.file): \(r.reason)") }
        return lines.joined(separator: "\n") + "\n"
    }

    public var csv: String {
        var lines = ["dataset,task,method,average_rank,ci_low,ci_high,participants,friedman_chi2,friedman_p,kendall_w"]
        for d in datasets {
            for t in d.tasks {
                for (j, m) in t.methods.enumerated() {
                    lines.append([CSV.field(d.dataset), t.task, CSV.field(m), Self.f(t.averageRank[j], 6), Self.f(t.interval[j].low, 6),
                                  Self.f(t.interval[j].high, 6), String(d.participants.count),
                                  t.friedman.map { Self.f($0.statistic, 6) } ?? "", t.friedman.map { String(format: "%.6g", $0.p) } ?? "",
                                  t.friedman.map { Self.f($0.kendallW, 6) } ?? ""].joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One panel per dataset and task: a bar per method at its average rank, the interval as a whisker.
    public var svg: String {
        let panels = datasets.flatMap { d in d.tasks.map { (d, $0) } }
        let rowH = 26.0, labelW = 190.0, plotW = 360.0, gap = 24.0
        let maxK = max(2, panels.map(\.1.methods.count).max() ?? 2)
        let panelH = 40 + rowH * Double(maxK) + 26
        let width = labelW + plotW + 40, height = max(1, Double(panels.count)) * (panelH + gap)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"13\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        for (p, (d, t)) in panels.enumerated() {
            let y0 = Double(p) * (panelH + gap), k = t.methods.count
            let x = { (rank: Double) in labelW + (rank - 1) / Double(max(k - 1, 1)) * plotW }
            s += "<text x=\"0\" y=\"\(y0 + 18)\" font-weight=\"bold\">\(xml(d.dataset)): \(xml(Self.title(t.task))) (average rank, 1 = best)</text>\n"
            for r in 1...max(k, 1) {
                s += "<line x1=\"\(x(Double(r)))\" y1=\"\(y0 + 30)\" x2=\"\(x(Double(r)))\" y2=\"\(y0 + 34 + rowH * Double(k))\" stroke=\"#ccd\"/>"
                s += "<text x=\"\(x(Double(r)))\" y=\"\(y0 + 50 + rowH * Double(k))\" text-anchor=\"middle\" fill=\"#555\">\(r)</text>\n"
            }
            for (j, m) in t.methods.enumerated() {
                let y = y0 + 36 + rowH * Double(j), v = t.averageRank[j]
                s += "<text x=\"\(labelW - 8)\" y=\"\(y + 14)\" text-anchor=\"end\">\(xml(m))</text>"
                guard !v.isNaN else { continue }
                s += "<rect x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(max(1, x(v) - labelW))\" height=\"\(rowH - 8)\" fill=\"#2f6fdf\" opacity=\"0.75\"/>"
                let (lo, hi) = t.interval[j]
                if !lo.isNaN { s += "<line x1=\"\(x(lo))\" y1=\"\(y + rowH / 2 - 1)\" x2=\"\(x(hi))\" y2=\"\(y + rowH / 2 - 1)\" stroke=\"#111\" stroke-width=\"2\"/>" }
                s += "<text x=\"\(min(x(v), labelW + plotW) + 6)\" y=\"\(y + 14)\" fill=\"#111\">\(Self.f(v))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension StudyScore {
    /// table1.md, table1.csv, table1.svg in `folder`.
    public func write(to folder: String) throws {
        try StudyBundle.write(markdown, to: folder + "/table1.md")
        try StudyBundle.write(csv, to: folder + "/table1.csv")
        try StudyBundle.write(svg, to: folder + "/table1.svg")
    }
}
