import Checkpoints
import Foundation
import Tensors

/// `fixtures/formats`: every .pt of the folder must load to exactly the tensors of
/// expected.safetensors (bit-equal floats, exact integers, the stored dtypes of expected.json)
/// and to the `opts` object of expected.json.
enum FormatsParity {
    static func run(_ dir: String) throws -> [ParityResult] {
        let url = URL(fileURLWithPath: dir)
        let want = try StateDict.load(url.appendingPathComponent("expected.safetensors").path)
        guard let json = JSONValue.parse(try Data(contentsOf: url.appendingPathComponent("expected.json"))) else {
            throw ParityError.folder(url.appendingPathComponent("expected.json").path, "is not JSON")
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".pt") }.sorted()
        guard !files.isEmpty else { throw ParityError.folder(dir, "has no .pt files to check") }
        var results: [ParityResult] = []
        for file in files {
            let got: StateDict
            do { got = try StateDict.load(url.appendingPathComponent(file).path) } catch {
                results += want.names.map { .failed($0, source: file, tolerance: .exactMatch, note: "\(error)") }
                continue
            }
            for name in want.names {
                guard let g = got.stored(name), let w = want.stored(name) else {
                    results.append(.failed(name, source: file, tolerance: .exactMatch, note: "missing from \(file)"))
                    continue
                }
                var r: ParityResult
                if let wi = w.ints {
                    r = .compare(name, source: file, actual: g.ints ?? [], actualShape: g.shape, expected: wi, expectedShape: w.shape)
                } else {
                    r = .compare(name, source: file, actual: g.values, expected: w.values, tolerance: .exactMatch)
                }
                if let d = json["tensors"]?[name]?["dtype"], d != .string(g.dtype.rawValue) {
                    r.passed = false
                    r.note = "stored dtype \(g.dtype.rawValue), expected \(d.serialized())"
                }
                results.append(r)
            }
            for extra in got.names where want.stored(extra) == nil {
                results.append(.failed(extra, source: file, tolerance: .exactMatch, note: "unexpected tensor"))
            }
            if let opts = json["opts"] {
                let found = got.objects.first { $0.name == "opts" }?.value
                results.append(ParityResult(name: "opts", source: file, maxAbs: 0, maxRel: 0, tolerance: .exactMatch,
                                            passed: found == opts, note: found == opts ? nil : "opts differ: \(found?.serialized() ?? "missing")"))
            }
        }
        return results
    }
}
