import Checkpoints
import FileIO
import Foundation

/// Where a study's images come from: finished `cfclip-batch` runs (every edit of a run is a
/// method, its text the edit's text) and folders of images made by other tools, laid out as
/// `DIR/<text>/<sample>.png|jpg` (the text as written or with `_` for every character that is
/// not a letter or digit; the sample is its index, leading zeros allowed), with the source
/// images optionally in `DIR/source/<sample>.png`. A folder's method is its name, or the NAME
/// of `NAME=DIR`.
public struct StudyInputs: Sendable {
    /// One image of a method (or a source), read when the bundle is written.
    public struct ImageRef: Sendable {
        public var path: String
        var offset: UInt64 = 0
        var size = -1

        func bytes() throws -> [UInt8] {
            let file = try InputFile(path: path)
            return size < 0 ? try file.readAll() : try file.bytes(at: Int(offset), count: size)
        }
    }

    public struct Method: Sendable {
        public var name: String
        /// The run folder or image folder it came from.
        public var origin: String
        /// The run's config hash, or "images" for a folder.
        public var configHash: String
        /// The edit's name within its run (nil for an image folder).
        public var edit: String?
        public var text: String
        public var images: [Int: ImageRef]
    }

    public var methods: [Method] = []
    /// Source images by sample index, from the first input that has one.
    public var sources: [Int: (ref: ImageRef, origin: String)] = [:]

    public init() {}

    /// Reads every input: a folder with `manifest.json` is a run, any other folder an image folder.
    public static func load(_ arguments: [String]) throws -> StudyInputs {
        var inputs = StudyInputs()
        for argument in arguments {
            var name: String? = nil, path = argument
            if let eq = argument.firstIndex(of: "="), !FileManager.default.fileExists(atPath: argument) {
                name = String(argument[..<eq]); path = String(argument[argument.index(after: eq)...])
            }
            path = URL(fileURLWithPath: path).standardizedFileURL.path
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw PipelineError.input(file: path, what: "not a folder: expected a cfclip-batch output folder or a folder of images (TEXT/SAMPLE.png)")
            }
            if FileManager.default.fileExists(atPath: path + "/manifest.json") {
                try inputs.addRun(path, label: name)
            } else {
                try inputs.addImageFolder(path, method: name ?? URL(fileURLWithPath: path).lastPathComponent)
            }
        }
        // an edit name used by two runs is told apart by its run's folder
        let counts = Dictionary(grouping: inputs.methods, by: \.name).mapValues(\.count)
        for i in inputs.methods.indices where counts[inputs.methods[i].name]! > 1 && inputs.methods[i].edit != nil {
            inputs.methods[i].name = URL(fileURLWithPath: inputs.methods[i].origin).lastPathComponent + "/" + inputs.methods[i].name
        }
        var seen: Set<String> = []
        for m in inputs.methods where !seen.insert(m.name + "\u{0}" + m.text).inserted {
            throw PipelineError.input(file: m.origin, what: "method '\(m.name)' appears twice for the text '\(m.text)'; name the inputs apart (NAME=DIR)")
        }
        return inputs
    }

    mutating func addRun(_ root: String, label: String?) throws {
        let layout = OutputLayout(root: root)
        let manifest = try Manifest.read(layout)
        let reader = ShardReader(layout: layout, manifest: manifest)
        let edits = manifest.config["edits"]?.arrayValue ?? []
        var methods: [Method] = edits.compactMap { e in
            guard let name = e["name"]?.stringValue, let text = e["text"]?.stringValue else { return nil }
            return Method(name: label.map { edits.count == 1 ? $0 : "\($0)/\(name)" } ?? name, origin: root,
                          configHash: manifest.configHash, edit: name, text: text, images: [:])
        }
        guard !methods.isEmpty else { throw PipelineError.input(file: layout.manifest, what: "the run has no edits") }
        let marked = layout.markedShards()
        guard !marked.isEmpty else { throw PipelineError.input(file: root, what: "no finished shard (no done-marker in shards/)") }
        for shard in marked {
            for sample in try reader.samples(shard: shard) {
                guard let index = Int(sample.key) else { continue }
                for m in sample.members {
                    let ref = ImageRef(path: m.path, offset: m.offset, size: m.size)
                    let field = m.field, base = m.item
                    guard field.hasSuffix(".png") || field.hasSuffix(".jpg") else { continue }
                    if base == "src" {
                        if sources[index] == nil { sources[index] = (ref, root) }
                    } else if let i = methods.firstIndex(where: { $0.edit == base }) {
                        methods[i].images[index] = ref
                    }
                }
            }
        }
        self.methods += methods
    }

    mutating func addImageFolder(_ root: String, method: String) throws {
        let fm = FileManager.default
        let folders = try fm.contentsOfDirectory(atPath: root).sorted()
        var found = false
        for folder in folders {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root + "/" + folder, isDirectory: &isDir), isDir.boolValue else { continue }
            var images: [Int: ImageRef] = [:]
            for file in try fm.contentsOfDirectory(atPath: root + "/" + folder).sorted() {
                let url = URL(fileURLWithPath: file)
                guard ["png", "jpg", "jpeg"].contains(url.pathExtension.lowercased()),
                      let index = Int(url.deletingPathExtension().lastPathComponent), index >= 0 else { continue }
                images[index] = ImageRef(path: root + "/" + folder + "/" + file)
            }
            guard !images.isEmpty else { continue }
            found = true
            if folder == "source" {
                for (i, ref) in images where sources[i] == nil { sources[i] = (ref, root) }
            } else {
                methods.append(Method(name: method, origin: root, configHash: "images", edit: nil, text: folder, images: images))
            }
        }
        guard found else {
            throw PipelineError.input(file: root, what: "no images: expected TEXT/SAMPLE.png (or .jpg) inside, e.g. green_lipstick/42.png")
        }
    }

    /// The texts of `methods`, matched across inputs: a folder named `green_lipstick` is the
    /// text "green lipstick" of a run.
    static func textKey(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
