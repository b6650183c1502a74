import FileIO
import Foundation
import Media

/// `OUT/report.html`, one self-contained page: a grid of the first samples (source, then
/// each edit; thumbnails inlined as data URIs), score histograms per edit as inline SVG,
/// and the stage timings with the slowest stage named.
public enum ReportPage {
    static let gridSamples = 8
    static let thumbnailSide = 256

    public static func write(layout: OutputLayout, manifest: Manifest, summary given: Summary? = nil) throws {
        let summary = try given ?? Summary.build(layout: layout, manifest: manifest)
        let edits = manifest.editNames
        var html = """
        <!doctype html><html><head><meta charset="utf-8"><title>cfclip-batch report</title>
        <style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}
        td,th{padding:4px 8px;border:1px solid #ccc;text-align:left;vertical-align:top}img{display:block;width:160px;image-rendering:pixelated}
        .h{display:inline-block;margin:4px 12px 4px 0}code{font-size:90%}</style></head><body>
        <h1>cfclip-batch report</h1>
        <p>\(summary.samples) samples in \(summary.shardsDone) of \(summary.shardsTotal) shards; edits: \(edits.map { "<b>\(HTML.escape($0))</b>" }.joined(separator: ", ")).
        Config hash <code>\(manifest.configHash.prefix(16))</code>.</p>

        """
        html += try grid(layout: layout, manifest: manifest, edits: edits)
        html += "<h2>Scores</h2>\n"
        for e in edits {
            html += "<h3>\(HTML.escape(e))</h3>\n<div>"
            for m in summary.metricOrder {
                if let v = summary.values[e]?[m] { html += "<div class=\"h\">" + Histogram.svg(v, title: m) + "</div>" }
            }
            html += "</div>\n"
        }
        html += "<h2>Timings</h2>\n<table><tr><th>stage</th><th>busy seconds</th><th>share</th></tr>\n"
        let busy = summary.stageSeconds
        let total = max(busy.values.reduce(0, +), 1e-9)
        for stage in StageClock.stageOrder where busy[stage] != nil {
            html += "<tr><td>\(stage)</td><td>" + String(format: "%.2f</td><td>%.0f%%", busy[stage]!, 100 * busy[stage]! / total) + "</td></tr>\n"
        }
        html += "</table>\n"
        if let slowest = summary.slowestStage {
            html += "<p>Slowest stage: <b>\(slowest)</b> (the stage to speed up or give more threads).</p>\n"
        }
        html += "</body></html>\n"
        try DurableFile.write(Array(html.utf8), to: layout.report, shared: true)
    }

    static func grid(layout: OutputLayout, manifest: Manifest, edits: [String]) throws -> String {
        let reader = ShardReader(layout: layout, manifest: manifest)
        var rows: [String] = []
        let ext = manifest.imageExtension
        for s in 0..<manifest.plan.count where rows.count < gridSamples {
            guard FileManager.default.fileExists(atPath: layout.done(s)) else { continue }
            for (key, members) in try reader.samples(shard: s) where rows.count < gridSamples {
                var cells = "<td><code>\(key)</code></td>"
                for field in ["src"] + edits {
                    if let m = members.first(where: { $0.field == "\(field).\(ext)" }), let uri = try? thumbnail(try reader.read(m), ext: ext) {
                        cells += "<td><img alt=\"\(key) \(field)\" src=\"\(uri)\"></td>"
                    } else { cells += "<td>missing</td>" }
                }
                rows.append("<tr>\(cells)</tr>")
            }
        }
        guard !rows.isEmpty else { return "<p>No finished shards yet.</p>\n" }
        let head = "<tr><th>sample</th><th>source</th>" + edits.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>"
        return "<h2>Samples</h2>\n<table>\(head)\n" + rows.joined(separator: "\n") + "</table>\n"
    }

    /// A PNG data URI of the image shrunk by an integer box filter to at most 256 pixels.
    static func thumbnail(_ bytes: [UInt8], ext: String) throws -> String {
        let image = ext == "png" ? try PNG.decode(bytes) : try JPEG.decode(bytes)
        let f = max(1, (max(image.width, image.height) + thumbnailSide - 1) / thumbnailSide)
        var small = image
        if f > 1 {
            let w = image.width / f, h = image.height / f
            var px = [UInt8](repeating: 0, count: w * h * 3)
            for y in 0..<h { for x in 0..<w { for c in 0..<3 {
                var s = 0
                for dy in 0..<f { for dx in 0..<f { s += Int(image.pixels[((y * f + dy) * image.width + x * f + dx) * 3 + c]) } }
                px[(y * w + x) * 3 + c] = UInt8(s / (f * f))
            } } }
            small = RGBImage(width: w, height: h, pixels: px)
        }
        return "data:image/png;base64," + Data(try PNG.encode(small)).base64EncodedString()
    }
}
