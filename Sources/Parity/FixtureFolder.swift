import Checkpoints
import Foundation
import Tensors

/// One fixture folder: config.json, cases.json (entries with kind and tolerance) and
/// cases.safetensors (inputs and expected outputs), read once.
public struct FixtureFolder {
    public struct Entry {
        public var name: String
        public var isInput: Bool
        public var dtype: String
        public var shape: [Int]
        public var meaning: String
        public var computed: String
        public var tolerance: Tolerance

        /// A number written as `key=value` in the entry's `computed` text (e.g. truncation=0.7).
        public func parameter(_ key: String) -> Double? {
            guard let r = computed.range(of: key + "=") else { return nil }
            return Double(computed[r.upperBound...].prefix { $0 == "-" || $0 == "." || $0.isNumber })
        }
    }

    public let url: URL
    public let config: [String: Any]
    public let model: String
    public let entries: [Entry]
    public let cases: StateDict

    public init(_ path: String) throws {
        url = URL(fileURLWithPath: path)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw ParityError.folder(path, "is not a folder")
        }
        config = try Self.readJSON(url.appendingPathComponent("config.json"), optional: true) ?? [:]
        let casesJSON = try Self.readJSON(url.appendingPathComponent("cases.json"), optional: true)
        // config.json's key where it has one (methods/, nada/: cases.json describes the model in words)
        model = (config["model"] as? String) ?? (casesJSON?["model"] as? String) ?? ""
        entries = ((casesJSON?["tensors"] as? [[String: Any]]) ?? []).map { t in
            Entry(name: t["name"] as? String ?? "",
                  isInput: (t["kind"] as? String) == "input",
                  dtype: t["dtype"] as? String ?? "float32",
                  shape: (t["shape"] as? [Int]) ?? [],
                  meaning: t["meaning"] as? String ?? "",
                  computed: t["computed"] as? String ?? "",
                  tolerance: Tolerance(json: t["tolerance"] as? [String: Any]))
        }
        let casesFile = url.appendingPathComponent("cases.safetensors").path
        cases = fm.fileExists(atPath: casesFile) ? try StateDict.load(casesFile) : StateDict(source: casesFile)
    }

    public var outputs: [Entry] { entries.filter { !$0.isInput } }

    /// The checkpoint files of the folder (checkpoint*.pt, checkpoint*.safetensors), sorted.
    public var checkpointFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasPrefix("checkpoint") && ($0.hasSuffix(".pt") || $0.hasSuffix(".safetensors") || $0.hasSuffix(".pth")) }.sorted()
    }

    /// Runs `compute` once per checkpoint file and compares every output with the reference.
    /// `compute` returns the outputs it knows; any output it leaves out is a failure.
    func judge(perCheckpoint files: [String], _ compute: (String) throws -> [String: Tensor]) -> [ParityResult] {
        var results: [ParityResult] = []
        for file in files {
            let computed: [String: Tensor]
            do { computed = try compute(self.file(file)) } catch {
                results += outputs.map { .failed($0.name, source: file, tolerance: $0.tolerance, note: "\(error)") }
                continue
            }
            results += judge(computed, source: file)
        }
        return results
    }

    func judge(_ computed: [String: Tensor], source: String) -> [ParityResult] {
        outputs.map { e in
            guard let expected = cases.tensors[e.name] else {
                return .failed(e.name, source: source, tolerance: e.tolerance, note: "missing from cases.safetensors")
            }
            guard let actual = computed[e.name] else {
                return .failed(e.name, source: source, tolerance: e.tolerance, note: "not computed")
            }
            return .compare(e.name, source: source, actual: actual, expected: expected, tolerance: e.tolerance)
        }
    }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }
    public func has(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    /// A float input (integer inputs are converted, e.g. perspective corner points).
    public func input(_ name: String) throws -> Tensor {
        if let t = cases.tensors[name] { return t }
        throw ParityError.missingInput(url.path, name)
    }

    public func inputIfPresent(_ name: String) -> Tensor? { cases.tensors[name] }

    static func readJSON(_ url: URL, optional: Bool) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if optional { return nil }
            throw ParityError.folder(url.path, "is missing")
        }
        let data = try Data(contentsOf: url)
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParityError.folder(url.path, "is not a JSON object")
        }
        return obj
    }
}

public enum ParityError: Error, CustomStringConvertible {
    case folder(String, String)
    case missingInput(String, String)
    case unknownModel(String)

    public var description: String {
        switch self {
        case let .folder(p, what): return "\(p) \(what)"
        case let .missingInput(dir, name): return "\(dir)/cases.safetensors: input '\(name)' is missing"
        case let .unknownModel(dir): return "\(dir): cannot tell which model this fixture folder is for (no known 'model' in cases.json, no expected.json)"
        }
    }
}
