import Checkpoints
import FileIO
import Foundation
import Media

/// `OUT/report.html`, one self-contained page that compares the run's edits (the methods):
/// a summary table (mean and 95% interval of every score per edit), paired differences between
/// the edits of one text on the same samples, a grid per text (source, then each edit, scores
/// under each image), histograms on shared axes, the best and worst samples per score, a
/// sortable table of every sample, the regression result when the run has one, and the stage
/// timings. Thumbnails are inlined (only the few the page shows), so the page stays small and
/// opens at once whatever the number of samples.
public enum ReportPage {
    static let gridSamples = 8
    static let extremes = 3
    static let thumbnailSide = 128

    public static func write(layout: OutputLayout, manifest: Manifest, summary given: Summary? = nil) throws {
        let summary = try given ?? Summary.build(layout: layout, manifest: manifest)
        let data = try ReportData.load(layout: layout, manifest: manifest)
        let images = ReportImages(layout: layout, manifest: manifest)
        // the last completed run's check, when it had one (the runner removes a stale one)
        let hasRegression = FileManager.default.fileExists(atPath: layout.regression)
        var html = head + """
        <h1>cfclip-batch report</h1>
        <p>\(summary.samples) samples in \(summary.shardsDone) of \(summary.shardsTotal) shards; config hash <code>\(manifest.configHash.prefix(16))</code>.
        Edits: \(data.edits.map { "<b>\(HTML.escape($0.heading))</b>" }.joined(separator: "; ")).</p>
        <nav><a href="#summary">Summary</a> · <a href="#paired">Paired differences</a> · <a href="#grids">Images</a> · <a href="#histograms">Histograms</a> · <a href="#extremes">Best and worst</a> · <a href="#samples">All samples</a>\(hasRegression ? " · <a href=\"#regression\">Regression</a>" : "") · <a href="#timings">Timings</a></nav>

        """
        html += summaryTable(data)
        html += pairedDifferences(data)
        html += try grids(data, images: images)
        html += histograms(data)
        html += try extremesSection(data, images: images)
        html += sampleTable(data)
        if hasRegression { html += try regressionSection(layout: layout, images: images) }
        html += timings(summary)
        html += "<script>\n" + sortScript + "</script>\n</body></html>\n"
        try DurableFile.write(Array(html.utf8), to: layout.report, shared: true)
    }

    static let head = """
    <!doctype html><html lang="en"><head><meta charset="utf-8"><title>cfclip-batch report</title>
    <style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}table{border-collapse:collapse;margin:6px 0 14px}
    td,th{padding:3px 8px;border:1px solid #ccc;text-align:left;vertical-align:top}th{background:#f1f3f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
    img{display:block;width:128px;image-rendering:pixelated}figure{margin:0}figcaption{font-size:11px;color:#444;max-width:128px}
    .h{display:inline-block;margin:4px 12px 4px 0;vertical-align:top}.better{color:#17733a}.worse{color:#a33}nav{margin:8px 0 16px}
    code{font-size:90%}.guide{color:#a35a00}th.sort{cursor:pointer}th.sort:after{content:" ⇅";color:#999}.scroll{max-height:520px;overflow:auto;display:inline-block}</style></head><body>

    """

    // MARK: sections

    static func summaryTable(_ d: ReportData) -> String {
        var s = "<h2 id=\"summary\">Summary</h2>\n<p>Mean over samples with its 95% bootstrap interval (2,000 seeded resamples).</p>\n<table><tr><th>text</th><th>edit</th><th>method</th><th>alpha</th><th>mapper</th>"
        s += d.metrics.map { "<th>\(HTML.escape($0))\(ReportData.higherIsBetter($0) ? " ↑" : " ↓")</th>" }.joined() + "</tr>\n"
        for e in d.edits {
            s += "<tr><td>\(HTML.escape(e.text))</td><td><b>\(HTML.escape(e.name))</b></td><td>\(HTML.escape(e.method))</td>"
                + "<td class=\"n\">\(ReportData.number(e.alpha))</td><td>\(HTML.escape(e.mapper))</td>"
            for m in d.metrics {
                let v = d.values(e.name, m)
                if v.isEmpty { s += "<td>–</td>"; continue }
                let (mean, lo, hi) = ReportData.meanInterval(v)
                let flag = e.judgedByGuide && m.contains("clip") ? " <span class=\"guide\" title=\"scored by the CLIP model that guided this edit\">†</span>" : ""
                s += "<td class=\"n\">\(ReportData.number(mean)) <small>[\(ReportData.number(lo)), \(ReportData.number(hi))]</small>\(flag)</td>"
            }
            s += "</tr>\n"
        }
        s += "</table>\n"
        if d.edits.contains(where: \.judgedByGuide) {
            s += "<p class=\"guide\">† scored by the CLIP model that guided the edit (its text embedding or its optimisation): "
                + "such a score flatters the method. Name an independent judge with <code>scores.clip</code>.</p>\n"
        }
        return s
    }

    /// For each pair of edits of one text: mean of (A - B) over the samples both scored, its
    /// interval, and how often A did better.
    static func pairedDifferences(_ d: ReportData) -> String {
        var s = "<h2 id=\"paired\">Paired differences</h2>\n"
        let groups = d.textGroups.filter { $0.edits.count >= 2 }
        guard !groups.isEmpty else { return s + "<p>No text has more than one edit: nothing to pair.</p>\n" }
        s += "<p>A − B on the same samples: mean with 95% bootstrap interval; “A better” is the share of samples where A's score is the better one (↑ higher, ↓ lower).</p>\n"
        for g in groups {
            s += "<h3>\(HTML.escape(g.text))</h3>\n<table><tr><th>A</th><th>B</th>" + d.metrics.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>\n"
            for i in 0..<g.edits.count { for j in (i + 1)..<g.edits.count {
                let (a, b) = (g.edits[i].name, g.edits[j].name)
                s += "<tr><td>\(HTML.escape(a))</td><td>\(HTML.escape(b))</td>"
                for m in d.metrics {
                    let pairs = d.keys.compactMap { k -> (Double, Double)? in
                        guard let x = d.scores[k]?[a]?[m], let y = d.scores[k]?[b]?[m], x.isFinite, y.isFinite else { return nil }
                        return (x, y)
                    }
                    guard !pairs.isEmpty else { s += "<td>–</td>"; continue }
                    let (mean, lo, hi) = ReportData.meanInterval(pairs.map { $0.0 - $0.1 })
                    let up = ReportData.higherIsBetter(m)
                    let wins = Double(pairs.filter { up ? $0.0 > $0.1 : $0.0 < $0.1 }.count) / Double(pairs.count)
                    let cls = lo > 0 || hi < 0 ? ((mean > 0) == up ? "better" : "worse") : ""
                    s += "<td class=\"n \(cls)\">\(ReportData.number(mean)) <small>[\(ReportData.number(lo)), \(ReportData.number(hi))]</small><br><small>A better in \(String(format: "%.0f", 100 * wins))% of \(pairs.count)</small></td>"
                }
                s += "</tr>\n"
            } }
            s += "</table>\n"
        }
        return s
    }

    /// Per text: the first samples, the source then every edit of that text, scores under each.
    static func grids(_ d: ReportData, images: ReportImages) throws -> String {
        var s = "<h2 id=\"grids\">Images</h2>\n"
        let keys = Array(d.keys.prefix(gridSamples))
        guard !keys.isEmpty else { return s + "<p>No finished shards yet.</p>\n" }
        for g in d.textGroups {
            s += "<h3>\(HTML.escape(g.text))</h3>\n<table><tr><th>sample</th><th>source</th>"
                + g.edits.map { "<th>\(HTML.escape($0.name))<br><small>\(HTML.escape($0.method)), alpha \(ReportData.number($0.alpha))</small></th>" }.joined() + "</tr>\n"
            for k in keys {
                s += "<tr><td><code>\(k)</code></td><td>\(try images.figure(k, "src", caption: ""))</td>"
                for e in g.edits {
                    let caption = d.metrics.compactMap { m in d.scores[k]?[e.name]?[m].map { "\(m) \(ReportData.number($0))" } }.joined(separator: "<br>")
                    s += "<td>\(try images.figure(k, e.name, caption: caption))</td>"
                }
                s += "</tr>\n"
            }
            s += "</table>\n"
        }
        return s
    }

    /// One row per score: every edit's histogram over the same range, so they read side by side.
    static func histograms(_ d: ReportData) -> String {
        var s = "<h2 id=\"histograms\">Histograms</h2>\n<p>Each row shares its axis across edits.</p>\n"
        for m in d.metrics {
            let all = d.edits.flatMap { d.values($0.name, m) }.filter(\.isFinite)
            guard let lo = all.min(), let hi = all.max() else { continue }
            s += "<div>"
            for e in d.edits { s += "<div class=\"h\">" + Histogram.svg(d.values(e.name, m), title: "\(m) · \(e.name)", range: (lo, hi)) + "</div>" }
            s += "</div>\n"
        }
        return s
    }

    static func extremesSection(_ d: ReportData, images: ReportImages) throws -> String {
        var s = "<h2 id=\"extremes\">Best and worst</h2>\n"
        for e in d.edits {
            s += "<h3>\(HTML.escape(e.heading))</h3>\n<table><tr><th>score</th><th>best \(extremes)</th><th>worst \(extremes)</th></tr>\n"
            for m in d.metrics {
                let ranked = d.keys.compactMap { k in d.scores[k]?[e.name]?[m].flatMap { $0.isFinite ? (k, $0) : nil } }
                    .sorted { ReportData.higherIsBetter(m) ? $0.1 > $1.1 : $0.1 < $1.1 }
                guard !ranked.isEmpty else { continue }
                func cells(_ list: ArraySlice<(String, Double)>) throws -> String {
                    try "<div>" + list.map { "<div class=\"h\">" + (try images.figure($0.0, e.name, caption: "\($0.0): \(ReportData.number($0.1))")) + "</div>" }.joined() + "</div>"
                }
                s += "<tr><td>\(HTML.escape(m))</td><td>\(try cells(ranked.prefix(extremes)))</td><td>\(try cells(ranked.suffix(extremes).reversed()[...]))</td></tr>\n"
            }
            s += "</table>\n"
        }
        return s
    }

    /// Every sample's scores; a click on a heading sorts by that column.
    static func sampleTable(_ d: ReportData) -> String {
        let columns = d.edits.flatMap { e in d.metrics.map { (e.name, $0) } }
        var s = "<h2 id=\"samples\">All samples</h2>\n<div class=\"scroll\"><table id=\"sample-table\"><thead><tr><th class=\"sort\">sample</th>"
        s += columns.map { "<th class=\"sort\">\(HTML.escape($0.0))<br><small>\(HTML.escape($0.1))</small></th>" }.joined() + "</tr></thead><tbody>\n"
        for k in d.keys {
            s += "<tr><td>\(k)</td>" + columns.map { c in d.scores[k]?[c.0]?[c.1].map { "<td class=\"n\">\(ReportData.number($0))</td>" } ?? "<td></td>" }.joined() + "</tr>\n"
        }
        return s + "</tbody></table></div>\n"
    }

    /// The regression verdict and, for every drifted image, golden, new and their difference.
    static func regressionSection(layout: OutputLayout, images: ReportImages) throws -> String {
        var s = "<h2 id=\"regression\">Regression</h2>\n"
        guard let data = FileManager.default.contents(atPath: layout.regression), let j = JSONValue.parse(data) else {
            return s + "<p>No regression result yet (it is written when the run completes).</p>\n"
        }
        let passed = j["passed"] == .bool(true)
        s += "<p><b>\(passed ? "PASS" : "FAIL")</b>: \(j["images_compared"]?.intValue ?? 0) images and \(j["scores_compared"]?.intValue ?? 0) scores compared; "
            + "largest pixel difference \(j["largest_pixel_diff"]?.intValue ?? 0), largest score difference \(j["largest_score_diff"]?.doubleValue.map(ReportData.number) ?? "0"); "
            + "\(j["drift_count"]?.intValue ?? 0) drift(s).</p>\n"
        let drifts = j["drifts"]?.arrayValue ?? []
        guard !drifts.isEmpty else { return s }
        let golden = j["golden"]?.stringValue.flatMap { path -> ReportImages? in
            let g = OutputLayout(root: path)
            return (try? Manifest.read(g)).map { ReportImages(layout: g, manifest: $0) }
        }
        s += "<table><tr><th>sample</th><th>item</th><th>what</th><th>golden</th><th>new</th><th>difference ×4</th></tr>\n"
        for d in drifts.prefix(50) {
            let key = d["key"]?.stringValue ?? "", item = d["item"]?.stringValue ?? ""
            s += "<tr><td><code>\(HTML.escape(key))</code></td><td>\(HTML.escape(item))</td><td>\(HTML.escape(d["what"]?.stringValue ?? ""))</td>"
            let field = item.contains(".") ? String(item[..<item.lastIndex(of: ".")!]) : item   // "lipstick@0.5.png" -> "lipstick@0.5"
            if item.hasSuffix(".png") || item.hasSuffix(".jpg"), let golden, let a = try? golden.image(key, field), let b = try? images.image(key, field) {
                s += "<td>\(try ReportImages.figure(a))</td><td>\(try ReportImages.figure(b))</td><td>\(try ReportImages.figure(ReportImages.difference(a, b)))</td>"
            } else { s += "<td></td><td></td><td></td>" }
            s += "</tr>\n"
        }
        return s + "</table>\n"
    }

    static func timings(_ summary: Summary) -> String {
        var s = "<h2 id=\"timings\">Timings</h2>\n<table><tr><th>stage</th><th>busy seconds</th><th>share</th></tr>\n"
        let busy = summary.stageSeconds
        let total = max(busy.values.reduce(0, +), 1e-9)
        for stage in StageClock.stageOrder where busy[stage] != nil {
            s += "<tr><td>\(stage)</td><td class=\"n\">" + String(format: "%.2f</td><td class=\"n\">%.0f%%", busy[stage]!, 100 * busy[stage]! / total) + "</td></tr>\n"
        }
        s += "</table>\n"
        if let slowest = summary.slowestStage { s += "<p>Slowest stage: <b>\(slowest)</b> (the stage to speed up or give more threads).</p>\n" }
        return s
    }

    static let sortScript = #"""
    document.querySelectorAll("th.sort").forEach((th, col) => th.addEventListener("click", () => {
      const body = th.closest("table").tBodies[0];
      const dir = th.dataset.dir === "asc" ? -1 : 1;
      th.closest("tr").querySelectorAll("th").forEach(h => delete h.dataset.dir);
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      const key = td => { const t = td ? td.textContent : ""; const n = parseFloat(t); return isNaN(n) ? t : n; };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => { const x = key(a.cells[col]), y = key(b.cells[col]); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
      body.append(...rows);
    }));

    """#
}

/// The report's images: one sample's image of a run, as an inlined thumbnail.
struct ReportImages {
    let reader: ShardReader
    let layout: OutputLayout
    let manifest: Manifest
    var index: [String: ShardReader.Member] = [:]

    init(layout: OutputLayout, manifest: Manifest) {
        self.layout = layout; self.manifest = manifest
        reader = ShardReader(layout: layout, manifest: manifest)
        for s in 0..<manifest.plan.count where FileManager.default.fileExists(atPath: layout.done(s)) {
            for m in (try? reader.members(shard: s)) ?? [] { index[m.name] = m }
        }
    }

    func image(_ key: String, _ field: String) throws -> RGBImage {
        guard let m = index["\(key).\(field).\(manifest.imageExtension)"] else {
            throw PipelineError.input(file: layout.root, what: "no image \(key).\(field)")
        }
        let bytes = try reader.read(m)
        return manifest.imageExtension == "png" ? try PNG.decode(bytes) : try JPEG.decode(bytes)
    }

    func figure(_ key: String, _ field: String, caption: String) throws -> String {
        guard let image = try? image(key, field) else { return "missing" }
        return "<figure>" + (try Self.figure(image)) + (caption.isEmpty ? "" : "<figcaption>\(caption)</figcaption>") + "</figure>"
    }

    static func figure(_ image: RGBImage) throws -> String {
        "<img alt=\"\" src=\"data:image/jpeg;base64,\(Data(try JPEG.encode(thumbnail(image), quality: 90)).base64EncodedString())\">"
    }

    /// Shrunk by an integer box filter to at most `ReportPage.thumbnailSide` pixels.
    static func thumbnail(_ image: RGBImage) -> RGBImage {
        let f = max(1, (max(image.width, image.height) + ReportPage.thumbnailSide - 1) / ReportPage.thumbnailSide)
        guard f > 1 else { return image }
        let w = image.width / f, h = image.height / f
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 {
            var s = 0
            for dy in 0..<f { for dx in 0..<f { s += Int(image.pixels[((y * f + dy) * image.width + x * f + dx) * 3 + c]) } }
            px[(y * w + x) * 3 + c] = UInt8(s / (f * f))
        } } }
        return RGBImage(width: w, height: h, pixels: px)
    }

    /// |a - b| per channel, times 4 (clamped), so small drifts show.
    static func difference(_ a: RGBImage, _ b: RGBImage) -> RGBImage {
        guard a.width == b.width, a.height == b.height else { return a }
        return RGBImage(width: a.width, height: a.height, pixels: zip(a.pixels, b.pixels).map { UInt8(min(255, 4 * abs(Int($0) - Int($1)))) })
    }
}
