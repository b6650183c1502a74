import Checkpoints
import FileIO
import Foundation
import Media
import Tensors

/// The §5.3 protocol as files: for `texts` texts shared by at least two methods, `samples`
/// samples each that every such method edited, one group per (text, sample) with the methods'
/// images in a seeded order. The bundle is blind: images are re-encoded the same way (PNG, no
/// text chunks, one size) under names that carry only the group and a slot number; which method
/// is behind a slot is written to the key folder, never inside the bundle.
public enum StudyBundle {
    public struct Options: Sendable {
        public var texts = 8
        public var samples = 3
        public var seed: UInt64 = 0
        public var size = 512
        public var dataset = "dataset"
        public init() {}
    }

    public struct Group: Sendable {
        public var id: String
        public var text: String
        public var sample: Int
        public var sourceOrigin: String
        /// Methods by slot (slot i + 1 is `methods[i]`).
        public var methods: [String]
    }

    public static let tasks: [(id: String, title: String, question: String)] = [
        ("accuracy", "Edit accuracy", "How well does each image show the text?"),
        ("realism", "Visual realism", "How naturally does the change fit into the image?"),
    ]

    /// Chooses the groups (seeded), writes the bundle to `output` and the answer key to `key`
    /// (each first under a temporary name, renamed when complete). Returns the bundle id.
    @discardableResult
    public static func build(_ inputs: StudyInputs, options o: Options, output: String, key: String) throws -> String {
        let out = URL(fileURLWithPath: output).standardizedFileURL.path, keyDir = URL(fileURLWithPath: key).standardizedFileURL.path
        guard !(keyDir + "/").hasPrefix(out + "/") else {
            throw PipelineError.study(option: "--key", what: "the answer key must not be inside the bundle (\(keyDir) is in \(out))")
        }
        for dir in [out, keyDir] where FileManager.default.fileExists(atPath: dir) {
            throw PipelineError.output(folder: dir, what: "already exists; choose another folder or remove it")
        }
        guard o.texts > 0, o.samples > 0, o.size >= 16 else {
            throw PipelineError.study(option: "--texts/--samples/--size", what: "expected positive counts and a size of at least 16, got \(o.texts), \(o.samples), \(o.size)")
        }
        let groups = try choose(inputs, options: o)
        let tmp = out + ".tmp-\(getpid())", keyTmp = keyDir + ".tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: tmp); try? FileManager.default.removeItem(atPath: keyTmp) }
        try? FileManager.default.removeItem(atPath: tmp)
        try FileManager.default.createDirectory(atPath: tmp + "/images", withIntermediateDirectories: true)

        // images first: the bundle id covers their bytes
        var imageHashes: [String] = []
        var entries: [(group: Group, source: String, slots: [String])] = []
        for g in groups {
            try FileManager.default.createDirectory(atPath: "\(tmp)/images/\(g.id)", withIntermediateDirectories: true)
            let source = "images/\(g.id)/source.png"
            let src = inputs.sources[g.sample]!
            imageHashes.append(try writeImage(src.ref, to: tmp + "/" + source, size: o.size))
            var slots: [String] = []
            for (i, method) in g.methods.enumerated() {
                let ref = inputs.methods.first { $0.name == method && StudyInputs.textKey($0.text) == StudyInputs.textKey(g.text) }!.images[g.sample]!
                let path = "images/\(g.id)/\(i + 1).png"
                imageHashes.append(try writeImage(ref, to: tmp + "/" + path, size: o.size))
                slots.append(path)
            }
            entries.append((g, source, slots))
        }
        let groupsJSON: JSONValue = .array(entries.map { e in
            .object([("group", .string(e.group.id)), ("images", .array(e.slots.enumerated().map { i, p in
                .object([("path", .string(p)), ("slot", .string(String(i + 1)))]) })),
                     ("source", .string(e.source)), ("text", .string(e.group.text))])
        })
        let id = String(SHA256.hex(Array((groupsJSON.serialized(sortedKeys: true) + imageHashes.joined()).utf8)).prefix(16))
        let bundle: JSONValue = .object([
            ("bundle", .string(id)), ("dataset", .string(o.dataset)), ("format", .string("cfclip-study-bundle")),
            ("groups", groupsJSON),
            ("tasks", .array(tasks.map { .object([("id", .string($0.id)), ("question", .string($0.question)), ("title", .string($0.title))]) })),
            ("version", .int(1)),
        ])
        try write(bundle.pretty(sortedKeys: true) + "\n", to: tmp + "/bundle.json")
        try write(SurveyPage.html(bundle: bundle), to: tmp + "/index.html")
        try write(groupsCSV(entries.map { ($0.group, $0.source, $0.slots) }), to: tmp + "/groups.csv")

        // the key, apart
        try FileManager.default.createDirectory(atPath: keyTmp, withIntermediateDirectories: true)
        let keyJSON: JSONValue = .object([
            ("bundle", .string(id)), ("dataset", .string(o.dataset)), ("format", .string("cfclip-study-key")),
            ("groups", .array(groups.map { g in
                .object([("group", .string(g.id)), ("sample", .int(Int64(g.sample))), ("slots", .object(g.methods.enumerated().map { (key: String($0 + 1), value: JSONValue.string($1)) })),
                         ("source_from", .string(g.sourceOrigin)), ("text", .string(g.text))])
            })),
            ("inputs", .array(inputs.methods.map { m in
                .object([("config_hash", .string(m.configHash)), ("edit", m.edit.map { JSONValue.string($0) } ?? JSONValue.null),
                         ("method", .string(m.name)), ("origin", .string(m.origin)), ("text", .string(m.text))])
            })),
            ("methods", .array(Array(Set(groups.flatMap(\.methods))).sorted().map { .string($0) })),
            ("options", .object([("samples", .int(Int64(o.samples))), ("seed", .int(Int64(bitPattern: o.seed))),
                                 ("size", .int(Int64(o.size))), ("texts", .int(Int64(o.texts)))])),
            ("version", .int(1)),
        ])
        try write(keyJSON.pretty(sortedKeys: true) + "\n", to: keyTmp + "/key.json")
        try FileManager.default.moveItem(atPath: keyTmp, toPath: keyDir)
        try FileManager.default.moveItem(atPath: tmp, toPath: out)
        return id
    }

    /// The seeded protocol: texts, then samples per text, then the slot order of each group.
    static func choose(_ inputs: StudyInputs, options o: Options) throws -> [Group] {
        var rng = SplitMix64(seed: o.seed)
        let byText = Dictionary(grouping: inputs.methods, by: { StudyInputs.textKey($0.text) })
        let shared = byText.keys.filter { byText[$0]!.count >= 2 }.sorted()
        guard shared.count >= o.texts else {
            let have = shared.map { "'\(byText[$0]!.first!.text)'" }.joined(separator: ", ")
            throw PipelineError.study(option: "--texts", what: "\(o.texts) texts asked for, but only \(shared.count) are shared by at least two methods" + (have.isEmpty ? "" : " (\(have))"))
        }
        var order = shared
        rng.shuffle(&order)
        var groups: [Group] = []
        for t in order.prefix(o.texts).sorted() {
            let methods = byText[t]!.sorted { $0.name < $1.name }
            // a run's text reads better than a folder's name for it
            let text = (methods.first { $0.edit != nil } ?? methods[0]).text
            var samples = methods.dropFirst().reduce(Set(methods[0].images.keys)) { $0.intersection($1.images.keys) }
                .intersection(inputs.sources.keys).sorted()
            guard samples.count >= o.samples else {
                throw PipelineError.study(option: "--samples", what: "the text '\(text)' has \(samples.count) sample(s) with a source image and an image from every method (\(methods.map(\.name).joined(separator: ", "))), \(o.samples) needed")
            }
            rng.shuffle(&samples)
            for s in samples.prefix(o.samples).sorted() {
                var slots = methods.map(\.name)
                rng.shuffle(&slots)
                groups.append(Group(id: "", text: text, sample: s, sourceOrigin: inputs.sources[s]!.origin, methods: slots))
            }
        }
        let width = String(groups.count).count
        for i in groups.indices { groups[i].id = "g" + String(repeating: "0", count: max(0, max(2, width) - String(i + 1).count)) + String(i + 1) }
        return groups
    }

    /// Decodes, resizes to `size` wide (keeping the aspect) and re-encodes as PNG; returns the
    /// SHA-256 of what was written.
    static func writeImage(_ ref: StudyInputs.ImageRef, to path: String, size: Int) throws -> String {
        let bytes = try ref.bytes()
        let image: RGBImage
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { image = try PNG.decode(bytes, name: ref.path) }
        else if bytes.starts(with: [0xFF, 0xD8]) { image = try JPEG.decode(bytes, name: ref.path) }
        else { throw PipelineError.input(file: ref.path, what: "not a PNG or JPEG image") }
        let png = try PNG.encode(resized(image, width: size))
        try write(png, to: path)
        return SHA256.hex(png)
    }

    /// Bicubic with antialiasing (PIL's filter when shrinking), rounded back to 8 bits.
    static func resized(_ image: RGBImage, width: Int) -> RGBImage {
        let height = max(1, Int((Double(image.height) * Double(width) / Double(image.width)).rounded()))
        if image.width == width && image.height == height { return image }
        let (w, h) = (image.width, image.height)
        let x = Tensor(shape: [1, 3, h, w]) { t in
            for c in 0..<3 { for i in 0..<(h * w) { t[c * h * w + i] = Float(image.pixels[i * 3 + c]) } }
        }
        let y = Resample.bicubic(x, height: height, width: width, antialias: true).scalars
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for c in 0..<3 { for i in 0..<(width * height) { px[i * 3 + c] = UInt8(max(0, min(255, y[c * width * height + i].rounded()))) } }
        return RGBImage(width: width, height: height, pixels: px)
    }

    /// For survey platforms: one row per group, the source and the images by slot.
    static func groupsCSV(_ entries: [(Group, String, [String])]) -> String {
        let m = entries.map(\.2.count).max() ?? 0
        var lines = ["group,text,source," + (1...max(m, 1)).map { "image_\($0)" }.joined(separator: ",")]
        for (g, source, slots) in entries {
            lines.append(([g.id, CSV.field(g.text), source] + slots + Array(repeating: "", count: m - slots.count)).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: path) }
    static func write(_ bytes: [UInt8], to path: String) throws { _ = try DurableFile.write(bytes, to: path) }
}

/// RFC 4180 fields.
enum CSV {
    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Rows of a CSV text (quoted fields may hold commas, quotes and newlines).
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var it = Array(text).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? it.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = it.next() { if n == "\"" { field.append("\"") } else { quoted = false; pending = n } } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n": row.append(field); field = ""; rows.append(row); row = []
            case "\r": break
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
