import Foundation

/// A score histogram as inline SVG (no scripts, no external files): 20 bins between the
/// smallest and largest value (or a `range` shared with other histograms), the mean marked by
/// a line, the range written underneath.
enum Histogram {
    static func svg(_ values: [Double], title: String, bins: Int = 20, width: Int = 260, height: Int = 110,
                    range: (Double, Double)? = nil) -> String {
        let v = values.filter(\.isFinite)
        guard let vlo = v.min(), let vhi = v.max() else { return "<p>\(HTML.escape(title)): no values</p>" }
        let (lo, hi) = range.map { (min($0.0, vlo), max($0.1, vhi)) } ?? (vlo, vhi)
        let span = hi > lo ? hi - lo : 1
        var counts = [Int](repeating: 0, count: bins)
        for x in v { counts[max(0, min(bins - 1, Int((x - lo) / span * Double(bins))))] += 1 }
        let top = Double(counts.max() ?? 1), plotH = Double(height - 34), barW = Double(width) / Double(bins)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        s += "<title>\(HTML.escape(title))</title>"
        s += "<text x=\"0\" y=\"11\" font-size=\"11\">\(HTML.escape(title))</text>"
        for (i, c) in counts.enumerated() where c > 0 {
            let h = Double(c) / top * plotH
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7bd0\"/>",
                        Double(i) * barW + 0.5, 16 + plotH - h, barW - 1, h)
        }
        let mean = v.reduce(0, +) / Double(v.count)
        let mx = (mean - lo) / span * Double(width)
        s += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"16\" y2=\"%.1f\" stroke=\"#d04a4a\" stroke-width=\"1.5\"/>", mx, mx, 16 + plotH)
        s += "<text x=\"0\" y=\"\(height - 4)\" font-size=\"10\">\(fmt(lo))</text>"
        s += "<text x=\"\(width)\" y=\"\(height - 4)\" font-size=\"10\" text-anchor=\"end\">\(fmt(hi))</text>"
        s += "<text x=\"\(width / 2)\" y=\"\(height - 4)\" font-size=\"10\" text-anchor=\"middle\" fill=\"#d04a4a\">mean \(fmt(mean)), n=\(v.count)</text>"
        return s + "</svg>"
    }

    static func fmt(_ d: Double) -> String { String(format: "%.4g", d) }
}

enum HTML {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
